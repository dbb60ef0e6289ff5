namespace RespProxy.Routing;

/// <summary>Where a command is handled.</summary>
internal enum CommandRoute : byte
{
    /// <summary>Sent to a backend and its reply copied back.</summary>
    Forward,

    /// <summary>Answered by the proxy itself (connection state, PING, HELLO, ...).</summary>
    Local,

    /// <summary>Refused with an error naming the command (see <see cref="CommandPolicy"/>).</summary>
    Reject,
}
