using Microsoft.Extensions.Logging;

namespace RespProxy.Connections;

internal sealed partial class ClientSession
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 200, EventName = "ClientProtocolError", Level = LogLevel.Debug, Message = "Client {ClientId}: {Error}; closing the connection.")]
        public static partial void ProtocolError(ILogger logger, long clientId, string error);

        [LoggerMessage(EventId = 201, EventName = "ClientQueryBufferExceeded", Level = LogLevel.Warning, Message = "Client {ClientId} reached the max query buffer length ({Bytes} bytes unparsed); closing the connection.")]
        public static partial void QueryBufferExceeded(ILogger logger, long clientId, long bytes);

        [LoggerMessage(EventId = 202, EventName = "ClientConnectionFailed", Level = LogLevel.Debug, Message = "Client {ClientId} connection ended: {Reason}")]
        public static partial void ClientConnectionFailed(ILogger logger, long clientId, string reason);

        [LoggerMessage(EventId = 203, EventName = "ClientOutputFailed", Level = LogLevel.Error, Message = "Client {ClientId}: writing its replies failed unexpectedly; closing the connection.")]
        public static partial void OutputFailed(ILogger logger, long clientId, Exception exception);
    }
}
