using System.Buffers;

namespace RespProxy.Resp.Tests.Framing;

/// <summary>
/// How a byte stream reaches a resumable reader: how it is cut into segments, and how many bytes are available at
/// each call (a growing prefix, as PipeReader.ReadAsync returns it).
/// </summary>
internal sealed class Feeding
{
    private Feeding(string name, int[] segmentLengths, long[] deliveries)
    {
        Name = name;
        SegmentLengths = segmentLengths;
        Deliveries = deliveries;
    }

    public string Name { get; }

    public IReadOnlyList<int> SegmentLengths { get; }

    /// <summary>Bytes available at each read, strictly increasing; the last is the whole stream.</summary>
    public IReadOnlyList<long> Deliveries { get; }

    public override string ToString() => Name;

    /// <summary>Everything at once, one segment.</summary>
    public static Feeding Whole(int length) => new("whole", [length], [length]);

    /// <summary>Everything at once, as two segments cut at <paramref name="offset"/>.</summary>
    public static Feeding Split(int length, int offset) => new($"split@{offset}", [offset, length - offset], [length]);

    /// <summary>Two reads: the bytes before <paramref name="offset"/>, then the rest appended as a new segment.</summary>
    public static Feeding TwoReads(int length, int offset) =>
        new($"two-reads@{offset}", [offset, length - offset], [offset, length]);

    /// <summary>Everything at once, one byte per segment (97-byte segments beyond 64 KiB, to bound memory).</summary>
    public static Feeding OneBytePerSegment(int length)
    {
        int size = length <= 64 * 1024 ? 1 : 97;
        return new(size == 1 ? "one-byte-per-segment" : "97-bytes-per-segment", Chunks(length, size), [length]);
    }

    /// <summary>Everything at once; empty segments between every byte and at the end (never first).</summary>
    public static Feeding EmptySegmentsBetween(int length)
    {
        var lengths = new List<int>();
        for (int i = 0; i < length; i++)
        {
            lengths.Add(1);
            lengths.Add(0);
        }

        return new("empty-segments-between", [.. lengths], [length]);
    }

    /// <summary>
    /// One more byte per call, growing one contiguous segment. Beyond 2 MiB only the first and last 64 KiB arrive a
    /// byte at a time and the middle in 4 KiB reads, so a 10 MB payload does not take ten million calls.
    /// </summary>
    public static Feeding ByteAtATime(int length)
    {
        if (length <= 2 * 1024 * 1024)
        {
            return new("byte-at-a-time", [length], Steps(length));
        }

        const int Edge = 64 * 1024;
        var deliveries = new List<long>();
        for (long available = 1; available <= length; available += available < Edge || available >= length - Edge ? 1 : 4096)
        {
            deliveries.Add(available);
        }

        return new("byte-at-a-time (edges; 4 KiB reads in the middle)", [length], [.. deliveries]);
    }

    /// <summary>One more byte per call, each arriving as its own segment.</summary>
    public static Feeding ByteAtATimeSegmented(int length) =>
        new("byte-at-a-time-segmented", Chunks(length, 1), Steps(length));

    /// <summary>Segment sizes and read sizes taken cyclically from the patterns (0 in a segment pattern = empty segment).</summary>
    public static Feeding FromPatterns(int length, int[] segmentPattern, int[] readPattern, bool allAtOnce)
    {
        if (!segmentPattern.Any(size => size > 0))
        {
            segmentPattern = [.. segmentPattern, 1];
        }

        var segments = new List<int>();
        int covered = 0;
        for (int i = 0; covered < length; i++)
        {
            int size = Math.Min(segmentPattern[i % segmentPattern.Length], length - covered);
            if (segments.Count == 0 && size == 0)
            {
                // A leading empty segment is covered by a dedicated test; keep it out of the random mixes.
                continue;
            }

            segments.Add(size);
            covered += size;
        }

        var deliveries = new List<long>();
        if (!allAtOnce)
        {
            long available = 0;
            for (int i = 0; available < length; i++)
            {
                available = Math.Min(length, available + Math.Max(1, readPattern[i % readPattern.Length]));
                deliveries.Add(available);
            }
        }

        if (deliveries.Count == 0)
        {
            deliveries.Add(length);
        }

        string name = $"segments[{string.Join(',', segmentPattern)}] reads[{(allAtOnce ? "all" : string.Join(',', readPattern))}]";
        return new(name, [.. segments], [.. deliveries]);
    }

    /// <summary>
    /// Every feeding mode: whole; split into two segments at every inner offset (all at once, and as two reads);
    /// one byte per segment; empty segments between bytes; one byte per call (contiguous and segmented). Offsets
    /// and segmented byte-at-a-time are sampled for large payloads so the suite stays fast.
    /// </summary>
    public static IEnumerable<Feeding> All(int length)
    {
        yield return Whole(length);
        yield return OneBytePerSegment(length);
        yield return ByteAtATime(length);
        if (length <= 4096)
        {
            yield return ByteAtATimeSegmented(length);
            yield return EmptySegmentsBetween(length);
        }

        foreach (int offset in SplitOffsets(length))
        {
            yield return Split(length, offset);
            yield return TwoReads(length, offset);
        }
    }

    /// <summary>Every inner offset for payloads up to 4 KiB; beyond that the first and last 64 and ~64 in between.</summary>
    public static IEnumerable<int> SplitOffsets(int length)
    {
        if (length <= 4096)
        {
            for (int offset = 1; offset < length; offset++)
            {
                yield return offset;
            }

            yield break;
        }

        var offsets = new SortedSet<int>();
        for (int i = 1; i <= 64; i++)
        {
            offsets.Add(i);
            offsets.Add(length - i);
        }

        for (int offset = 64; offset < length - 64; offset += (length / 64) + 1)
        {
            offsets.Add(offset);
        }

        foreach (int offset in offsets)
        {
            yield return offset;
        }
    }

    private static int[] Chunks(int length, int size)
    {
        var chunks = new int[(length + size - 1) / size];
        for (int i = 0; i < chunks.Length; i++)
        {
            chunks[i] = Math.Min(size, length - (i * size));
        }

        return chunks;
    }

    private static long[] Steps(int length)
    {
        if (length == 0)
        {
            return [0];
        }

        var steps = new long[length];
        for (int i = 0; i < length; i++)
        {
            steps[i] = i + 1;
        }

        return steps;
    }
}

internal enum StepKind
{
    NeedMoreData,
    Frame,
    Stop,
}

/// <summary>What one call of a resumable reader returned: still waiting, a frame of Consumed bytes, or a stop (error).</summary>
internal readonly record struct StepOutcome<T>(StepKind Kind, long Consumed, T? Value);

/// <summary>The frames a driver read, and how it ended.</summary>
internal sealed record FeedRun<T>(IReadOnlyList<T> Frames, StepKind FinalKind, T? Stop, long Remaining, int Calls);

/// <summary>
/// Drives a resumable frame reader exactly as a PipeReader loop would: the buffer always starts at the current
/// frame's first byte; on NeedMoreData the same start is passed again with more bytes appended; after a frame the
/// next call starts at buffer.Slice(consumed) with no new bytes.
/// </summary>
internal static class FeedDriver
{
    public static FeedRun<T> Run<T>(
        byte[] stream,
        Feeding feeding,
        Func<ReadOnlySequence<byte>, StepOutcome<T>> step,
        int maxFrames = int.MaxValue)
    {
        var chain = new SegmentChain(stream, feeding.SegmentLengths);
        var frames = new List<T>();
        long start = 0;
        int delivery = 0;
        int calls = 0;
        while (true)
        {
            long available = feeding.Deliveries[delivery];
            var buffer = chain.Prefix(available).Slice(start);
            var outcome = step(buffer);
            calls++;
            switch (outcome.Kind)
            {
                case StepKind.NeedMoreData:
                    if (delivery + 1 < feeding.Deliveries.Count)
                    {
                        delivery++;
                        continue;
                    }

                    return new FeedRun<T>(frames, StepKind.NeedMoreData, default, available - start, calls);

                case StepKind.Frame:
                    if (outcome.Consumed <= 0 || outcome.Consumed > buffer.Length)
                    {
                        throw new InvalidOperationException(
                            $"[{feeding}] frame length {outcome.Consumed} outside (0, {buffer.Length}] at stream offset {start}");
                    }

                    frames.Add(outcome.Value!);
                    start += outcome.Consumed;
                    if (frames.Count == maxFrames)
                    {
                        return new FeedRun<T>(frames, StepKind.Frame, default, available - start, calls);
                    }

                    continue;

                default:
                    return new FeedRun<T>(frames, StepKind.Stop, outcome.Value, available - start, calls);
            }
        }
    }
}
