using System.Buffers;
using System.Net.Sockets;
using System.Text;
using RespProxy.Resp.Framing;

namespace RespProxy.Backends;

/// <summary>
/// The first exchange on a new backend connection, before it carries client traffic: INFO server, which proves the
/// server answers commands (not LOADING, no auth missing) and tells its version.
/// </summary>
internal static class BackendHandshake
{
    private const int MaxReplyBytes = 64 * 1024;

    public static async Task<string> RunAsync(Socket socket, CancellationToken token)
    {
        await socket.SendAsync("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n"u8.ToArray(), SocketFlags.None, token);
        var buffer = ArrayPool<byte>.Shared.Rent(MaxReplyBytes);
        try
        {
            int received = 0;
            var scanner = default(RespFrameScanner);
            while (true)
            {
                int read = await socket.ReceiveAsync(buffer.AsMemory(received, MaxReplyBytes - received), SocketFlags.None, token);
                if (read == 0)
                {
                    throw new BackendHandshakeException("connection closed during handshake");
                }

                received += read;
                var status = scanner.TryScan(new ReadOnlySequence<byte>(buffer, 0, received), out long length);
                if (status == ScanResult.Invalid)
                {
                    throw new BackendHandshakeException("not a RESP server");
                }

                if (status == ScanResult.Complete)
                {
                    return ParseVersion(buffer.AsSpan(0, (int)length));
                }

                if (received == MaxReplyBytes)
                {
                    throw new BackendHandshakeException("handshake reply too large");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string ParseVersion(ReadOnlySpan<byte> reply)
    {
        var text = Encoding.UTF8.GetString(reply);
        if (text.StartsWith('-'))
        {
            throw new BackendHandshakeException(text[1..].TrimEnd());
        }

        const string Key = "redis_version:";
        int start = text.IndexOf(Key, StringComparison.Ordinal);
        if (start < 0)
        {
            return "unknown";
        }

        start += Key.Length;
        int end = text.IndexOf('\r', start);
        return end < 0 ? text[start..] : text[start..end];
    }
}

internal sealed class BackendHandshakeException(string message) : Exception(message);
