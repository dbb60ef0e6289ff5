using Microsoft.Extensions.Logging;
using RespProxy.Topology.Model;

namespace RespProxy.Backends;

internal sealed partial class BackendServer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 100, EventName = "BackendConnected", Level = LogLevel.Information, Message = "Connected to backend {Endpoint} (connection {Index}).")]
        public static partial void Connected(ILogger logger, ServerEndpoint endpoint, int index);

        [LoggerMessage(EventId = 101, EventName = "BackendDisconnected", Level = LogLevel.Warning, Message = "Backend {Endpoint} connection {Index} down: {Reason}; retrying in {DelayMs} ms.")]
        public static partial void Disconnected(ILogger logger, ServerEndpoint endpoint, int index, string reason, int delayMs);

        [LoggerMessage(EventId = 103, EventName = "BackendConnectionCrashed", Level = LogLevel.Error, Message = "Backend {Endpoint} connection {Index} failed unexpectedly; reconnecting.")]
        public static partial void ConnectionCrashed(ILogger logger, ServerEndpoint endpoint, int index, Exception exception);

        [LoggerMessage(EventId = 104, EventName = "BackendSendCrashed", Level = LogLevel.Error, Message = "Sending to backend {Endpoint} failed unexpectedly; failing its connection.")]
        public static partial void CrashWhileSending(ILogger logger, ServerEndpoint endpoint, Exception exception);

        [LoggerMessage(EventId = 102, EventName = "BackendRequestTimedOut", Level = LogLevel.Warning, Message = "Backend {Endpoint} did not answer within {TimeoutMs} ms; failing its connection.")]
        public static partial void RequestTimedOut(ILogger logger, ServerEndpoint endpoint, int timeoutMs);
    }
}
