using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace RespProxy.Topology.Model;

/// <summary>A backend address as operators write it ("127.0.0.1:6379", "[::1]:6379", "redis-a:6379").</summary>
public sealed record ServerEndpoint(string Host, int Port)
{
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public static ServerEndpoint Parse(string text)
        => TryParse(text, out var endpoint) ? endpoint : throw new FormatException($"'{text}' is not a host:port address.");

    public static bool TryParse(string? text, [NotNullWhen(true)] out ServerEndpoint? endpoint)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        string host;
        string portText;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                return false;
            }

            host = text[1..close];
            portText = text[(close + 2)..];
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                return false;
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 0 or > 65535)
        {
            return false;
        }

        endpoint = new ServerEndpoint(host, port);
        return true;
    }

    /// <summary>The IP address when <see cref="Host"/> is a literal address; null for a host name.</summary>
    public IPAddress? Address => IPAddress.TryParse(Host, out var address) ? address : null;
}
