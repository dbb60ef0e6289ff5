using System.Buffers;
using System.IO.Pipelines;
using Xunit;

namespace RespProxy.IntegrationTests.Transport;

/// <summary>Frames of recognisable bytes, and what a pipe holds, for the tests of batch writers.</summary>
internal static class TestFrames
{
    public static byte[] Frame(int length, byte fill) => Enumerable.Range(0, length).Select(i => (byte)(fill * 31 + i)).ToArray();

    public static byte[] Concat(params byte[][] frames) => frames.SelectMany(frame => frame).ToArray();

    // Completing the writer commits what it wrote, as a flush would.
    public static byte[] ReadPipe(Pipe pipe)
    {
        pipe.Writer.Complete();
        Assert.True(pipe.Reader.TryRead(out var result));
        var bytes = result.Buffer.ToArray();
        pipe.Reader.AdvanceTo(result.Buffer.End);
        return bytes;
    }
}
