using System.Net.Sockets;

namespace RespProxy.Topology.Sentinel;

/// <summary>Short, log-friendly descriptions of connection failures.</summary>
internal static class ErrorText
{
    /// <summary>"Connection reset by peer" rather than "Unable to read data from the transport connection: ...".</summary>
    public static string Of(Exception exception)
    {
        var inner = exception is IOException { InnerException: SocketException socket } ? socket : exception;
        return inner.Message.TrimEnd('.');
    }

    /// <summary>
    /// Failures that mean a pooled connection went stale (the server closed or reset it, e.g. sentinel's CLIENT KILL
    /// when it reconfigures a server), so one retry on a fresh connection is worth it. Timeouts are not: the server
    /// may be slow or gone, and retrying would double the wait.
    /// </summary>
    public static bool IsStaleConnection(Exception exception) => exception is IOException or SocketException;
}
