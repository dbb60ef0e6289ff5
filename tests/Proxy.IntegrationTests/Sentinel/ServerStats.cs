using System.Globalization;
using RespProxy.TestSupport;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>What a redis-server says about itself (INFO), asked directly, never through the proxy.</summary>
internal static class ServerStats
{
    public static async Task<Dictionary<string, string>> InfoAsync(RedisServerProcess server, params string[] sections)
    {
        await using var client = await server.ConnectAsync(TimeSpan.FromSeconds(10));
        return await InfoAsync(client, sections);
    }

    /// <summary>
    /// INFO for polling a server that sentinel may be reconfiguring: its CLIENT KILL (on promotion or conversion to a
    /// replica) can cut the query's connection, which only means "ask again"; null then.
    /// </summary>
    public static async Task<Dictionary<string, string>?> TryInfoAsync(RedisServerProcess server, params string[] sections)
    {
        try
        {
            return await InfoAsync(server, sections);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return null;
        }
    }

    public static async Task<Dictionary<string, string>> InfoAsync(RawRespClient client, params string[] sections)
    {
        var reply = await client.CommandAsync(["INFO", .. sections]);
        if (reply.Type != '$' || reply.Text is null)
        {
            throw new InvalidOperationException($"INFO {string.Join(' ', sections)} on {client.Host}:{client.Port} answered {reply}");
        }

        return RedisInfo.Parse(reply.Text);
    }

    /// <summary>"calls" of one command from INFO commandstats (0 when the command never ran).</summary>
    public static long Calls(Dictionary<string, string> info, string command) => CommandStat(info, command, "calls");

    /// <summary>"rejected_calls" of one command (refused before running, e.g. with -LOADING).</summary>
    public static long RejectedCalls(Dictionary<string, string> info, string command) => CommandStat(info, command, "rejected_calls");

    public static async Task<long> CallsAsync(RedisServerProcess server, string command) =>
        Calls(await InfoAsync(server, "commandstats"), command);

    private static long CommandStat(Dictionary<string, string> info, string command, string field)
    {
        if (!info.TryGetValue("cmdstat_" + command, out var stats))
        {
            return 0;
        }

        foreach (var pair in stats.Split(','))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length == 2 && parts[0] == field)
            {
                return long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public static long Number(Dictionary<string, string> info, string field) =>
        info.TryGetValue(field, out var text) ? long.Parse(text, CultureInfo.InvariantCulture) : throw new KeyNotFoundException($"INFO has no '{field}'.");

    /// <summary>
    /// Waits until every replica has applied everything the master had in its replication stream when this was called,
    /// so a master killed afterwards loses nothing it acknowledged (async replication could otherwise lose the last
    /// writes, which says nothing about the proxy).
    /// </summary>
    public static async Task WaitForReplicasToCatchUpAsync(RedisServerProcess master, IEnumerable<RedisServerProcess> replicas)
    {
        long target = Number(await InfoAsync(master, "replication"), "master_repl_offset");
        var list = replicas.ToArray();
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var replica in list)
                {
                    var info = await TryInfoAsync(replica, "replication");
                    if (info is null || info.GetValueOrDefault("master_link_status") != "up" || Number(info, "slave_repl_offset") < target)
                    {
                        return false;
                    }
                }

                return true;
            },
            TimeSpan.FromSeconds(15),
            $"replicas {string.Join(", ", list.Select(r => r.EndPoint))} to reach offset {target} of {master.EndPoint}",
            () => string.Join(Environment.NewLine, list.Select(r => r.Diagnostics())));
    }

    /// <summary>Waits until <paramref name="replica"/> reports role slave of <paramref name="master"/> with its link up.</summary>
    public static Task WaitForLinkUpAsync(RedisServerProcess replica, RedisServerProcess master, TimeSpan timeout) =>
        Wait.UntilAsync(
            async () => await TryInfoAsync(replica, "replication") is { } info
                && info.GetValueOrDefault("role") == "slave"
                && info.GetValueOrDefault("master_host") == master.Host
                && info.GetValueOrDefault("master_port") == master.Port.ToString(CultureInfo.InvariantCulture)
                && info.GetValueOrDefault("master_link_status") == "up"
                && info.GetValueOrDefault("master_sync_in_progress") == "0",
            timeout,
            $"{replica.EndPoint} to replicate from {master.EndPoint} with its link up",
            replica.Diagnostics);
}
