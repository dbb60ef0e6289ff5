using System.Globalization;
using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.TestSupport;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>The proxy's "INFO proxy" section (answered by the proxy itself), parsed.</summary>
internal sealed class ProxyInfo
{
    private ProxyInfo(string raw)
    {
        Raw = raw;
        Fields = RedisInfo.Parse(raw);
    }

    public string Raw { get; }

    public Dictionary<string, string> Fields { get; }

    public static async Task<ProxyInfo> ReadAsync(ProxyTestHost proxy)
    {
        await using var client = await RawRespClient.ConnectAsync(proxy.Host, proxy.Port, TimeSpan.FromSeconds(10));
        var reply = await client.CommandAsync("INFO", "proxy");
        if (reply.Type != '$' || reply.Text is null)
        {
            throw new InvalidOperationException($"INFO proxy answered {reply}");
        }

        return new ProxyInfo(reply.Text);
    }

    /// <summary>"sentinel_status" without its explanation ("ok" or "all_down").</summary>
    public string SentinelStatus => Fields.GetValueOrDefault("sentinel_status", "").Split(' ')[0];

    public int SentinelsReachable => int.Parse(Fields.GetValueOrDefault("sentinels_reachable", "-1"), CultureInfo.InvariantCulture);

    /// <summary>The "backendN:addr=...,master=..,readable=..,connections=.." entry for <paramref name="endpoint"/>, or null.</summary>
    public Dictionary<string, string>? Backend(string endpoint)
    {
        foreach (var (key, value) in Fields)
        {
            if (key.StartsWith("backend", StringComparison.Ordinal) && key != "backends")
            {
                var entry = Pairs(value);
                if (entry.GetValueOrDefault("addr") == endpoint)
                {
                    return entry;
                }
            }
        }

        return null;
    }

    /// <summary>Live connections to <paramref name="endpoint"/> (0 when the proxy has no backend for it).</summary>
    public int Connections(string endpoint) =>
        Backend(endpoint) is { } backend ? int.Parse(backend["connections"], CultureInfo.InvariantCulture) : 0;

    /// <summary>The "groupN:name=..,master=..,readers=..,held=.." entry.</summary>
    public Dictionary<string, string> Group(int index) => Pairs(Fields[$"group{index}"]);

    /// <summary>The readers of group <paramref name="index"/> as "host:port@priority".</summary>
    public string[] Readers(int index) => Group(index).GetValueOrDefault("readers", "").Split('|', StringSplitOptions.RemoveEmptyEntries);

    private static Dictionary<string, string> Pairs(string value) =>
        value.Split(',').Select(pair => pair.Split('=', 2)).Where(parts => parts.Length == 2).ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);
}
