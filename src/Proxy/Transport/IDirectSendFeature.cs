using System.Buffers;

namespace RespProxy.Transport;

/// <summary>
/// A connection feature of transports that can send from the caller's own buffers. A large reply then goes from the
/// backend connection's input straight to the client's socket instead of being copied into the client's output pipe
/// first: one copy of the value less, and no extra system call, because such a reply is flushed on its own anyway.
/// Small batches use it through <see cref="StagedWrites"/>, skipping the pipe's flush and send loop.
/// </summary>
/// <remarks>
/// Order is the caller's to keep: it may send directly only while it is the output pipe's single writer and
/// everything it has flushed into the pipe is already on the socket (<see cref="BytesSent"/> equals its own count of
/// flushed bytes). Then the transport's send loop has nothing left to send and stays off the socket until the next
/// flush, so the direct send cannot overtake or interleave with bytes of the pipe. <see cref="DirectSendGate"/> keeps
/// that count for a writer.
/// </remarks>
internal interface IDirectSendFeature
{
    /// <summary>Bytes put on the socket so far, from the output pipe and by <see cref="TrySend"/>.</summary>
    long BytesSent { get; }

    /// <summary>
    /// True when the calling thread batches this connection's pipe sends (an epoll loop with io_uring): a flush of the
    /// output pipe then costs no system call of its own, so small writes are cheaper through the pipe than sent
    /// directly, one call each. Large ones still go directly: copying them into the pipe costs more than the call.
    /// </summary>
    bool SendsAreBatched { get; }

    /// <summary>
    /// Sends as much of <paramref name="data"/> as the socket takes now without blocking and returns the length of the
    /// prefix sent: 0 when the socket buffer is full or the connection has failed (it is then aborted, and the caller's
    /// next flush finds the pipe completed, as with any failed send). The rest is the caller's to write into the output
    /// pipe.
    /// </summary>
    long TrySend(in ReadOnlySequence<byte> data);

    /// <summary>
    /// <see cref="TrySend(in ReadOnlySequence{byte})"/> for data in separate parts, gathered into as few system calls as
    /// the socket takes: a batch of requests interleaved with large ones lent from clients' input buffers.
    /// </summary>
    long TrySend(ReadOnlySpan<ReadOnlyMemory<byte>> parts);

    /// <summary>
    /// Completes when the socket takes more after a direct send found it full, or when the connection is aborted.
    /// Only while the transport's own send loop has nothing to send (everything flushed into the pipe is on the socket,
    /// and nothing is flushed until this completes): the two must never wait at once.
    /// </summary>
    Task WaitWritableAsync();
}
