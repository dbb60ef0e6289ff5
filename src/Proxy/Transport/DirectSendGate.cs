using System.IO.Pipelines;

namespace RespProxy.Transport;

/// <summary>
/// The ordering rule of <see cref="IDirectSendFeature"/> for one output writer: it counts the bytes the writer flushed
/// into the pipe or sent directly, and allows a direct send only while the transport has put all of them on the socket.
/// Touched by the output's single writer only (a session's output owner, a backend connection's sender).
/// </summary>
internal struct DirectSendGate(IDirectSendFeature? feature)
{
    private long _flushed;

    /// <summary>The direct send, when nothing flushed earlier is still unsent; otherwise null (use the pipe).</summary>
    public readonly IDirectSendFeature? IfIdle() => feature is not null && feature.BytesSent == _flushed ? feature : null;

    /// <summary>Counts bytes sent directly.</summary>
    public void Sent(long bytes) => _flushed += bytes;

    /// <summary>Counts what is about to be flushed; false when there is nothing to flush.</summary>
    public bool Flushing(PipeWriter output)
    {
        long unflushed = output.UnflushedBytes;
        _flushed += unflushed;
        return unflushed > 0;
    }
}
