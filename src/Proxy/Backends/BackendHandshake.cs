using System.Buffers;
using System.Net.Sockets;
using System.Text;
using RespProxy.Resp.Framing;

namespace RespProxy.Backends;

/// <summary>
/// The first exchange on a new backend connection, before it carries client traffic: INFO server, replication and
/// persistence. It proves the server answers commands (no auth missing), tells its version, and keeps a server out of
/// service while it is still loading its dataset or, as a replica, not in sync with its master: such a server
/// would answer reads with LOADING or with data that is not there yet.
/// </summary>
internal static class BackendHandshake
{
    private const int MaxReplyBytes = 64 * 1024;

    public static async Task<string> RunAsync(Socket socket, BackendOptions options, CancellationToken token)
    {
        var request = new List<byte>();
        bool authenticates = options.Password is not null;
        if (authenticates)
        {
            request.AddRange(options.User is null ? Encode("AUTH", options.Password!) : Encode("AUTH", options.User, options.Password!));
        }

        request.AddRange("*4\r\n$4\r\nINFO\r\n$6\r\nserver\r\n$11\r\nreplication\r\n$11\r\npersistence\r\n"u8.ToArray());
        await socket.SendAsync(request.ToArray(), SocketFlags.None, token);
        var buffer = ArrayPool<byte>.Shared.Rent(MaxReplyBytes);
        try
        {
            int received = 0;
            int consumed = 0;
            var scanner = default(RespFrameScanner);
            while (true)
            {
                int read = await socket.ReceiveAsync(buffer.AsMemory(received, MaxReplyBytes - received), SocketFlags.None, token);
                if (read == 0)
                {
                    throw new BackendHandshakeException("connection closed during handshake");
                }

                received += read;
                var status = scanner.TryScan(new ReadOnlySequence<byte>(buffer, consumed, received - consumed), out long length);
                if (status == ScanResult.Invalid)
                {
                    throw new BackendHandshakeException("not a RESP server");
                }

                while (status == ScanResult.Complete)
                {
                    var reply = buffer.AsSpan(consumed, (int)length);
                    consumed += (int)length;
                    if (authenticates)
                    {
                        if (reply[0] == (byte)'-')
                        {
                            throw new BackendHandshakeException(Encoding.UTF8.GetString(reply[1..]).TrimEnd());
                        }

                        authenticates = false;
                        status = scanner.TryScan(new ReadOnlySequence<byte>(buffer, consumed, received - consumed), out length);
                        continue;
                    }

                    return Check(reply);
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

    private static string Check(ReadOnlySpan<byte> reply)
    {
        var text = Encoding.UTF8.GetString(reply);
        if (text.StartsWith('-'))
        {
            throw new BackendHandshakeException(text[1..].TrimEnd());
        }

        if (Field(text, "loading") == "1")
        {
            throw new BackendHandshakeException("server is loading its dataset");
        }

        if (Field(text, "role") == "slave")
        {
            if (Field(text, "master_link_status") != "up")
            {
                throw new BackendHandshakeException("replica's link to its master is not up");
            }

            if (Field(text, "master_sync_in_progress") == "1")
            {
                throw new BackendHandshakeException("replica is syncing with its master");
            }
        }

        return Field(text, "redis_version") ?? "unknown";
    }

    private static string? Field(string info, string key)
    {
        string prefix = "\n" + key + ":";
        int start = info.IndexOf(prefix, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += prefix.Length;
        int end = info.IndexOf('\r', start);
        return end < 0 ? info[start..] : info[start..end];
    }

    private static byte[] Encode(params string[] arguments)
    {
        var text = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
        foreach (var argument in arguments)
        {
            text.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}

internal sealed class BackendHandshakeException(string message) : Exception(message);
