using System.Buffers;
using System.Collections.Concurrent;

namespace RespProxy.Transport;

/// <summary>
/// One block of a <see cref="LockFreePipe"/>'s chain. The writer fills it and publishes how far with
/// <see cref="Commit"/>; the reader sees <see cref="ReadOnlySequenceSegment{T}.Memory"/> (the committed bytes).
/// </summary>
/// <remarks>
/// <see cref="Commit"/> rewrites <c>Memory</c> while the reader may be copying it: only the length changes (same
/// block, same offset), each field is written whole, so a reader sees the old or the new length, and both cover every
/// byte it was told about. The segment objects are pooled; their blocks go back to the block pool at once, so an idle
/// connection holds no block.
/// </remarks>
internal sealed class PipeSegment : ReadOnlySequenceSegment<byte>
{
    private static readonly ConcurrentQueue<PipeSegment> s_pool = new();

    private IMemoryOwner<byte>? _block;

    /// <summary>The whole block, written and not.</summary>
    public Memory<byte> AvailableMemory { get; private set; }

    public PipeSegment? NextSegment => (PipeSegment?)Next;

    /// <summary>A segment for bytes that start at <paramref name="runningIndex"/> in the pipe's stream, holding a
    /// block of at least <paramref name="size"/> bytes; <paramref name="spare"/> is the pipe's own cached object,
    /// taken first.</summary>
    public static PipeSegment Rent(ref PipeSegment? spare, MemoryPool<byte> pool, int size, long runningIndex)
    {
        var segment = Interlocked.Exchange(ref spare, null);
        if (segment is null && !s_pool.TryDequeue(out segment))
        {
            segment = new PipeSegment();
        }

        var block = pool.Rent(size);
        segment._block = block;
        segment.AvailableMemory = block.Memory;
        segment.Memory = default;
        segment.RunningIndex = runningIndex;
        return segment;
    }

    /// <summary>Writer: the first <paramref name="length"/> bytes are readable (once the pipe publishes them).</summary>
    public void Commit(int length) => Memory = AvailableMemory[..length];

    /// <summary>Writer: the stream goes on in <paramref name="next"/>; this segment's <see cref="Commit"/> is final.</summary>
    public void Link(PipeSegment next) => Next = next;

    /// <summary>Gives the block back and keeps the object in <paramref name="spare"/> (or the shared pool).</summary>
    public void Return(ref PipeSegment? spare)
    {
        _block!.Dispose();
        _block = null;
        AvailableMemory = default;
        Memory = default;
        Next = null;
        RunningIndex = 0;
        if (Interlocked.Exchange(ref spare, this) is { } displaced)
        {
            s_pool.Enqueue(displaced);
        }
    }
}
