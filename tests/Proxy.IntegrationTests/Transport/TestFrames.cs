using System.Buffers;
using System.IO.Pipelines;
using Xunit;

namespace RespProxy.IntegrationTests.Transport;

/// <summary>Frames of recognisable bytes, and what a pipe holds, for the tests of batch writers.</summary>
internal static class TestFrames
{
    public static byte[] Frame(int length, byte fill) => Enumerable.Range(0, length).Select(i => (byte)(fill * 31 + i)).ToArray();

    public static byte[] Concat(params byte[][] frames) => frames.SelectMany(frame => frame).ToArray();

    /// <summary>One sequence whose segments are exactly <paramref name="parts"/>, as a pipe of several blocks hands out.</summary>
    public static ReadOnlySequence<byte> Segmented(params byte[][] parts)
    {
        var first = new Part(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
        {
            var next = new Part(part, last.RunningIndex + last.Memory.Length);
            last.SetNext(next);
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    // Completing the writer commits what it wrote, as a flush would.
    public static byte[] ReadPipe(Pipe pipe)
    {
        pipe.Writer.Complete();
        Assert.True(pipe.Reader.TryRead(out var result));
        var bytes = result.Buffer.ToArray();
        pipe.Reader.AdvanceTo(result.Buffer.End);
        return bytes;
    }

    private sealed class Part : ReadOnlySequenceSegment<byte>
    {
        public Part(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public void SetNext(Part next) => Next = next;
    }
}
