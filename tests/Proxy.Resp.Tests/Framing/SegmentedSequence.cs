using System.Buffers;

namespace RespProxy.Resp.Tests.Framing;

/// <summary>
/// Builds multi-segment <see cref="ReadOnlySequence{T}"/> instances the way a PipeReader hands them out: a linked
/// list of <see cref="ReadOnlySequenceSegment{T}"/> nodes, each with its running index.
/// </summary>
internal static class SegmentedSequence
{
    /// <summary>A sequence made of exactly these segments, in order (empty segments are kept).</summary>
    public static ReadOnlySequence<byte> Create(params ReadOnlyMemory<byte>[] segments)
    {
        if (segments.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(segments[0], 0);
        var last = first;
        for (int i = 1; i < segments.Length; i++)
        {
            last = last.Append(segments[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Cuts <paramref name="payload"/> at the given offsets (ascending; a repeated offset makes an empty segment).</summary>
    public static ReadOnlySequence<byte> Split(byte[] payload, params int[] cuts)
    {
        var segments = new List<ReadOnlyMemory<byte>>(cuts.Length + 1);
        int previous = 0;
        foreach (int cut in cuts)
        {
            segments.Add(payload.AsMemory(previous, cut - previous));
            previous = cut;
        }

        segments.Add(payload.AsMemory(previous));
        return Create([.. segments]);
    }

    internal sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary>
/// A byte stream pre-cut into linked segments, from which growing prefixes can be taken cheaply: the view a
/// PipeReader gives of everything received so far.
/// </summary>
internal sealed class SegmentChain
{
    private readonly SegmentedSequence.Segment[] _segments;
    private readonly long[] _ends;

    public SegmentChain(byte[] payload, IReadOnlyList<int> segmentLengths)
    {
        Length = payload.Length;
        int count = Math.Max(1, segmentLengths.Count);
        _segments = new SegmentedSequence.Segment[count];
        _ends = new long[count];
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            int length = segmentLengths.Count == 0 ? 0 : segmentLengths[i];
            var memory = payload.AsMemory(offset, length);
            _segments[i] = i == 0 ? new SegmentedSequence.Segment(memory, 0) : _segments[i - 1].Append(memory);
            offset += length;
            _ends[i] = offset;
        }

        if (offset != payload.Length)
        {
            throw new ArgumentException($"segments cover {offset} of {payload.Length} bytes", nameof(segmentLengths));
        }
    }

    public long Length { get; }

    /// <summary>The first <paramref name="available"/> bytes, starting at the chain's first segment.</summary>
    public ReadOnlySequence<byte> Prefix(long available)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(available);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(available, Length);
        if (available == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        // The segment holding byte available-1: the first whose end reaches it (never an empty one).
        int end = Array.BinarySearch(_ends, available);
        if (end < 0)
        {
            end = ~end;
        }
        else
        {
            while (end > 0 && _ends[end - 1] == available)
            {
                end--;
            }
        }

        var last = _segments[end];
        return new ReadOnlySequence<byte>(_segments[0], 0, last, (int)(available - last.RunningIndex));
    }
}
