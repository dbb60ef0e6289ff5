using System.Buffers;
using System.IO.Pipelines;
using RespProxy.Transport;
using Xunit;
using static RespProxy.IntegrationTests.Transport.TestFrames;

namespace RespProxy.IntegrationTests.Transport;

/// <summary>
/// A batch of frames leaves either straight from the staging buffer or through the output pipe, never both out of
/// order: what the socket takes is a prefix of the batch, and the pipe holds exactly the rest.
/// </summary>
public sealed class StagedWritesTests
{
    private static readonly byte[][] s_frames = [Frame(100, 1), Frame(3000, 2), Frame(1, 3), Frame(5000, 4), Frame(0, 5)];

    [Fact]
    public void A_batch_that_fits_is_sent_in_one_call_and_nothing_goes_into_the_pipe()
    {
        var socket = new FakeSocket(takes: int.MaxValue);
        var pipe = new Pipe();

        long sentDirectly = WriteBatch(pipe.Writer, socket, s_frames);

        Assert.Equal(1, socket.Calls);
        Assert.Equal(Concat(s_frames), socket.Received.ToArray());
        Assert.Equal(socket.Received.Count, sentDirectly);
        Assert.Empty(ReadPipe(pipe));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4000)]
    public void What_the_socket_does_not_take_goes_into_the_pipe_behind_it(int takes)
    {
        var socket = new FakeSocket(takes);
        var pipe = new Pipe();

        long sentDirectly = WriteBatch(pipe.Writer, socket, s_frames);

        Assert.Equal(takes, sentDirectly);
        Assert.Equal(Concat(s_frames), socket.Received.Concat(ReadPipe(pipe)).ToArray());
    }

    [Fact]
    public void A_batch_larger_than_the_staging_buffer_goes_into_the_pipe_whole()
    {
        // 16 KB of staging: the third 7 KB frame does not fit, so all three leave with one flush of the pipe.
        byte[][] frames = [Frame(7000, 1), Frame(7000, 2), Frame(7000, 3), Frame(10, 4)];
        var socket = new FakeSocket(takes: int.MaxValue);
        var pipe = new Pipe();

        long sentDirectly = WriteBatch(pipe.Writer, socket, frames);

        Assert.Equal(0, sentDirectly);
        Assert.Equal(0, socket.Calls);
        Assert.Equal(Concat(frames), ReadPipe(pipe));
    }

    [Fact]
    public void Without_a_direct_send_everything_goes_into_the_pipe()
    {
        var pipe = new Pipe();

        long sentDirectly = WriteBatch(pipe.Writer, direct: null, s_frames);

        Assert.Equal(0, sentDirectly);
        Assert.Equal(Concat(s_frames), ReadPipe(pipe));
    }

    private static long WriteBatch(PipeWriter writer, IDirectSendFeature? direct, byte[][] frames)
    {
        var output = new StagedWrites(writer, direct);
        foreach (var frame in frames)
        {
            output.Write(frame);
        }

        output.Commit();
        return output.SentDirectly;
    }
}
