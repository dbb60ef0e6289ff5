namespace RespProxy.Transport;

/// <summary>
/// Hears how a send queued in a <see cref="SystemCallBatch"/> went, on the loop thread, right after the batch is
/// submitted: bytes sent, or a negative errno (EAGAIN when the socket buffer was full).
/// </summary>
internal interface IBatchedSend
{
    void OnSent(long result);
}
