using System.Buffers;
using System.IO.Pipelines;
using RespProxy.Transport;
using Xunit;

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

    // Completing the writer commits what it wrote, as a flush would.
    private static byte[] ReadPipe(Pipe pipe)
    {
        pipe.Writer.Complete();
        Assert.True(pipe.Reader.TryRead(out var result));
        var bytes = result.Buffer.ToArray();
        pipe.Reader.AdvanceTo(result.Buffer.End);
        return bytes;
    }

    private static byte[] Frame(int length, byte fill) => Enumerable.Range(0, length).Select(i => (byte)(fill * 31 + i)).ToArray();

    private static byte[] Concat(byte[][] frames) => frames.SelectMany(frame => frame).ToArray();

    // A socket whose buffer takes at most `takes` bytes in all.
    internal sealed class FakeSocket(int takes) : IDirectSendFeature
    {
        public List<byte> Received { get; } = [];

        public int Calls { get; private set; }

        public long BytesSent => Received.Count;

        public long TrySend(in ReadOnlySequence<byte> data)
        {
            Calls++;
            var bytes = data.ToArray();
            int taken = Math.Min(bytes.Length, takes - Received.Count);
            Received.AddRange(bytes[..taken]);
            return taken;
        }

        public long TrySend(ReadOnlySpan<ReadOnlyMemory<byte>> parts)
        {
            var joined = new List<byte>();
            foreach (var part in parts)
            {
                joined.AddRange(part.ToArray());
            }

            return TrySend(new ReadOnlySequence<byte>(joined.ToArray()));
        }

        public Task WaitWritableAsync() => throw new InvalidOperationException("staged writes never wait");
    }
}
