using System.IO.Pipelines;

namespace RespProxy.Transport;

/// <summary>
/// The ordering rule of <see cref="IDirectSendFeature"/> for one output writer: it counts the bytes the writer flushed
/// into the pipe or sent directly, and allows a direct send only while the transport has put all of them on the socket.
/// Touched by the output's single writer only (a session's output owner, a backend connection's sender).
/// </summary>
internal struct DirectSendGate(IDirectSendFeature? feature)
{
    // Starts from what the transport sent before this writer took the output (a backend connection's handshake, whose
    // replies came back, so all of it is on the wire). Starting from zero, the counts never met on such a connection and
    // every batch went through the pipe. A count started too low can only refuse direct sends, never allow a wrong one.
    private long _flushed = feature?.BytesSent ?? 0;

    /// <summary>
    /// The direct send, when nothing flushed earlier is still unsent and nothing is written but not yet flushed (a
    /// large request waiting for the end of the batch); otherwise null (use the pipe).
    /// </summary>
    public readonly IDirectSendFeature? IfIdle(PipeWriter output) =>
        feature is not null && feature.BytesSent == _flushed && output.UnflushedBytes == 0 ? feature : null;

    /// <summary>
    /// <see cref="IfIdle"/> for a batch of small frames: null also when the transport batches this thread's pipe sends,
    /// where the pipe's flush costs less than a direct send's own system call.
    /// </summary>
    public readonly IDirectSendFeature? IfIdleForSmallWrites(PipeWriter output) =>
        IfIdle(output) is { SendsAreBatched: false } direct ? direct : null;

    /// <summary>Counts bytes sent directly.</summary>
    public void Sent(long bytes) => _flushed += bytes;

    /// <summary>
    /// Sends what the socket takes of <paramref name="parts"/> and counts it; only after <see cref="IfIdle"/> allowed a
    /// direct send and nothing went into the pipe since.
    /// </summary>
    public long TrySend(ReadOnlySpan<ReadOnlyMemory<byte>> parts)
    {
        long sent = feature!.TrySend(parts);
        _flushed += sent;
        return sent;
    }

    /// <summary>Waits for the socket to take more after <see cref="TrySend"/> found it full.</summary>
    public readonly Task WaitWritableAsync() => feature!.WaitWritableAsync();

    /// <summary>Counts what is about to be flushed; false when there is nothing to flush.</summary>
    public bool Flushing(PipeWriter output)
    {
        long unflushed = output.UnflushedBytes;
        _flushed += unflushed;
        return unflushed > 0;
    }
}
