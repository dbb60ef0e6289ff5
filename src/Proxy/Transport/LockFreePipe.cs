using System.Buffers;

namespace RespProxy.Transport;

/// <summary>
/// The epoll transport's pipe: bytes from one writer at a time to one reader, with no lock anywhere. Its two ends
/// hand over with single atomic operations, so the request path (a socket's bytes into a session, a reply out to the
/// send loop) takes no monitor. <see cref="System.IO.Pipelines.Pipe"/> takes one on nearly every call (GetMemory after
/// a flush, FlushAsync, ReadAsync, AdvanceTo); in a profile at pipeline 1 its monitors were 2% of the proxy's CPU
/// (docs/BENCHMARKS.md).
/// </summary>
/// <remarks>
/// <para>The writer publishes one word, <see cref="_state"/>: the total of bytes flushed, whether it is between
/// GetMemory and FlushAsync (it then holds the tail segment), and whether the reader took the chain back. The reader
/// takes the chain back, returning every block, with one compare-exchange that succeeds only when it has consumed all
/// that was flushed and the writer holds nothing: an idle connection keeps no block, as with Pipe.</para>
/// <para>A side that finds nothing to do announces that it waits, then looks again; the other side publishes, then
/// ends the announced wait (<see cref="PipeWait"/>). Waits complete inline on the thread that ends them, as Pipe's
/// inline schedulers did.</para>
/// <para>The options are Pipe's: a pause threshold of 0 never pauses the writer (the input: sessions bound what a
/// client may buffer, not the transport); otherwise FlushAsync waits once the reader is that far behind, until it
/// is less than the resume threshold behind.</para>
/// </remarks>
internal sealed partial class LockFreePipe
{
    private const long WriterActive = 1L << 62;
    private const long ChainReturned = 1L << 61;
    private const long TotalMask = ChainReturned - 1;

    private readonly MemoryPool<byte> _pool;
    private readonly int _segmentSize;
    private readonly long _pauseWriterThreshold;
    private readonly long _resumeWriterThreshold;

    // Starts as "returned": the writer's first GetMemory starts a chain.
    private long _state = ChainReturned;

    // The first segment of a chain the writer started after the reader took the last one back; written before the
    // state publishes any of its bytes, read by the reader only then.
    private PipeSegment? _newChain;

    // Bytes the reader consumed, for the writer's pause (pipes with a pause threshold only).
    private long _consumedForWriter;

    private PipeSegment? _spareSegment;
    private int _readCanceled;
    private int _flushCanceled;
    private int _readerCompleted;
    private int _writerCompleted;
    private Exception? _writerError;
    private int _completions;

    public LockFreePipe(MemoryPool<byte> pool, int segmentSize, long pauseWriterThreshold = 0, long resumeWriterThreshold = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(pauseWriterThreshold);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(resumeWriterThreshold, pauseWriterThreshold);
        if (pauseWriterThreshold > 0)
        {
            // The writer resumes once the reader is less than this behind: 0 would never resume it.
            ArgumentOutOfRangeException.ThrowIfLessThan(resumeWriterThreshold, 1);
        }

        _pool = pool;
        _segmentSize = segmentSize;
        _pauseWriterThreshold = pauseWriterThreshold;
        _resumeWriterThreshold = resumeWriterThreshold;
        Reader = new ReaderEnd(this);
        Writer = new WriterEnd(this);
    }

    public ReaderEnd Reader { get; }

    public WriterEnd Writer { get; }

    private long Flushed => Volatile.Read(ref _state) & TotalMask;

    // Both ends completed: whichever completes second returns what is left of the chain. No other thread touches it
    // then; the completions' interlocked increments order the last writes of each end before this.
    private void EndCompleted()
    {
        if (Interlocked.Increment(ref _completions) != 2)
        {
            return;
        }

        long state = Volatile.Read(ref _state);
        var segment = (state & ChainReturned) != 0 ? null : Reader.HeldChain ?? Volatile.Read(ref _newChain);
        ReturnChain(segment, until: null);
    }

    private void ReturnChain(PipeSegment? segment, PipeSegment? until)
    {
        while (segment is not null && segment != until)
        {
            var next = segment.NextSegment;
            segment.Return(ref _spareSegment);
            segment = next;
        }
    }
}
