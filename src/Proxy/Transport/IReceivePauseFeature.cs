namespace RespProxy.Transport;

/// <summary>
/// A connection feature of transports that can stop reading a socket: while paused, unread bytes stay in the kernel's
/// socket buffers and TCP flow control holds the sender back, so a client that pipelines far ahead of its replies
/// costs the proxy no more than one read of buffered input.
/// </summary>
internal interface IReceivePauseFeature
{
    /// <summary>Stops reading after the read in progress, if any.</summary>
    void PauseReceiving();

    /// <summary>Reads again (a no-op once the connection's input has ended).</summary>
    void ResumeReceiving();
}
