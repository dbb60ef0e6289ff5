using System.Buffers;
using System.IO.Pipelines;
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

    public static async Task<string> RunAsync(IDuplexPipe transport, BackendOptions options, CancellationToken token)
    {
        var request = new List<byte>();
        bool authenticates = options.Password is not null;
        if (authenticates)
        {
            request.AddRange(options.User is null ? Encode("AUTH", options.Password!) : Encode("AUTH", options.User, options.Password!));
        }

        request.AddRange("*4\r\n$4\r\nINFO\r\n$6\r\nserver\r\n$11\r\nreplication\r\n$11\r\npersistence\r\n"u8.ToArray());
        var flush = await transport.Output.WriteAsync(request.ToArray(), token);
        if (flush.IsCompleted)
        {
            throw new BackendHandshakeException("connection closed during handshake");
        }

        var input = transport.Input;
        var scanner = default(RespFrameScanner);
        while (true)
        {
            var result = await input.ReadAsync(token);
            var buffer = result.Buffer;
            var status = scanner.TryScan(buffer, out long length);
            while (status == ScanResult.Complete)
            {
                var reply = buffer.Slice(0, length).ToArray();
                buffer = buffer.Slice(length);
                if (!authenticates)
                {
                    input.AdvanceTo(buffer.Start);
                    return Check(reply);
                }

                if (reply[0] == (byte)'-')
                {
                    throw new BackendHandshakeException(Encoding.UTF8.GetString(reply.AsSpan(1)).TrimEnd());
                }

                authenticates = false;
                status = scanner.TryScan(buffer, out length);
            }

            if (status == ScanResult.Invalid)
            {
                throw new BackendHandshakeException("not a RESP server");
            }

            if (buffer.Length > MaxReplyBytes)
            {
                throw new BackendHandshakeException("handshake reply too large");
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                throw new BackendHandshakeException("connection closed during handshake");
            }

            input.AdvanceTo(buffer.Start, buffer.End);
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
