using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.TestSupport;
using RespProxy.Topology.Model;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>
/// A sentinel-mode proxy in front of one or more <see cref="SentinelTopology"/> groups, started and waited for until
/// it routes: every group's master published and connected, every replica readable and connected. It also records
/// every topology snapshot the proxy publishes, with the time it was published.
/// </summary>
internal sealed class SentinelProxy : IAsyncDisposable
{
    private readonly ConcurrentQueue<(long At, TopologySnapshot Snapshot)> _published = new();
    private readonly IReadOnlyList<(SentinelTopology Topology, string Slots)> _groups;

    private readonly int _connectionsPerServer;

    private SentinelProxy(ProxyTestHost host, IReadOnlyList<(SentinelTopology Topology, string Slots)> groups)
    {
        Host = host;
        _groups = groups;
        Holder = host.Services.GetRequiredService<TopologyHolder>();
        _connectionsPerServer = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RespProxy.Backends.BackendOptions>>().Value.ConnectionsPerServer;
        Holder.Changed += (_, next) => _published.Enqueue((Stopwatch.GetTimestamp(), next));
    }

    public ProxyTestHost Host { get; }

    public TopologyHolder Holder { get; }

    /// <summary>Snapshots published since the proxy started, with their Stopwatch timestamps, oldest first.</summary>
    public IReadOnlyList<(long At, TopologySnapshot Snapshot)> Published => [.. _published];

    public static Task<SentinelProxy> StartAsync(SentinelTopology topology, params string[] extraArgs) =>
        StartAsync([(topology, "0-16383")], extraArgs);

    public static async Task<SentinelProxy> StartAsync(IReadOnlyList<(SentinelTopology Topology, string Slots)> groups, params string[] extraArgs)
    {
        var sentinels = string.Join(',', groups.Select(g => g.Topology.SentinelList));
        var host = await ProxyTestHost.StartSentinelAsync(sentinels, [.. groups.Select(g => (g.Topology.MasterName, g.Slots))], extraArgs);
        var proxy = new SentinelProxy(host, groups);
        try
        {
            await proxy.WaitUntilSettledAsync();
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }

        return proxy;
    }

    public Task<RawRespClient> ConnectAsync(TimeSpan? timeout = null) => RawRespClient.ConnectAsync(Host.Host, Host.Port, timeout);

    public ShardGroup Group(string name) => Holder.Current.Groups.Single(g => g.Name == name);

    /// <summary>The master the proxy currently publishes for <paramref name="group"/>, "host:port", or null.</summary>
    public string? PublishedMaster(string group) => Group(group).Master?.Endpoint.ToString();

    /// <summary>When a snapshot first published <paramref name="master"/> as <paramref name="group"/>'s master.</summary>
    public long? PublishedAt(string group, string master) =>
        Published.FirstOrDefault(p => p.Snapshot.Groups.Single(g => g.Name == group).Master?.Endpoint.ToString() == master) is { Snapshot: not null } hit
            ? hit.At
            : null;

    /// <summary>When a snapshot first published <paramref name="group"/> without a master (after <paramref name="since"/>).</summary>
    public long? MasterWithdrawnAt(string group, long since) =>
        Published.FirstOrDefault(p => p.At >= since && p.Snapshot.Groups.Single(g => g.Name == group).Master is null) is { Snapshot: not null } hit
            ? hit.At
            : null;

    public Task<ProxyInfo> InfoAsync() => ProxyInfo.ReadAsync(Host);

    /// <summary>Waits until the proxy publishes <paramref name="master"/> for <paramref name="group"/> and holds connections to it.</summary>
    public Task WaitForMasterAsync(string group, string master, TimeSpan timeout) =>
        Wait.UntilAsync(
            async () => PublishedMaster(group) == master && (await InfoAsync()).Connections(master) > 0,
            timeout,
            $"the proxy to publish and connect to {master} as master of {group}",
            Describe);

    /// <summary>Waits until the proxy sees no live connection to <paramref name="endpoint"/> any more.</summary>
    public Task WaitForNoConnectionsAsync(string endpoint, TimeSpan timeout) =>
        Wait.UntilAsync(
            async () => (await InfoAsync()).Connections(endpoint) == 0,
            timeout,
            $"the proxy to lose its connections to {endpoint}",
            Describe);

    /// <summary>Waits until <paramref name="replica"/> is in the read tiers of its group and the proxy is connected to it.</summary>
    public Task WaitForReadableReplicaAsync(string replica, TimeSpan timeout) =>
        Wait.UntilAsync(
            async () =>
            {
                var info = await InfoAsync();
                return info.Readers(0).Any(r => r.StartsWith(replica + "@", StringComparison.Ordinal))
                    && info.Backend(replica) is { } backend && backend["readable"] == "1" && backend["connections"] != "0";
            },
            timeout,
            $"the proxy to read from {replica} again",
            Describe);

    /// <summary>The proxy's INFO proxy section and its published snapshot, for failure messages.</summary>
    public string Describe()
    {
        string info;
        try
        {
            // Called synchronously from Wait's diagnostics: run the query off the test's synchronization context.
            info = Task.Run(InfoAsync).GetAwaiter().GetResult().Raw;
        }
        catch (Exception ex)
        {
            info = $"(INFO proxy failed: {ex.Message})";
        }

        var groups = Holder.Current.Groups.Select(g =>
            $"{g.Name}: master {g.Master?.Endpoint.ToString() ?? "none"}, replicas {string.Join(" ", g.Replicas.Select(r => $"{r.Endpoint}[{r.DataCenter},{(r.Readable ? "readable" : "not readable")}]"))}");
        return $"--- INFO proxy ---{Environment.NewLine}{info}{Environment.NewLine}--- published v{Holder.Current.Version} ---{Environment.NewLine}{string.Join(Environment.NewLine, groups)}";
    }

    private async Task WaitUntilSettledAsync()
    {
        await Wait.UntilAsync(
            async () =>
            {
                var info = await InfoAsync();
                foreach (var (topology, _) in _groups)
                {
                    var group = Group(topology.MasterName);
                    if (group.Master?.Endpoint.ToString() != topology.InitialMaster.EndPoint
                        || group.Replicas.Length != topology.InitialReplicas.Count
                        || group.Replicas.Any(r => !r.Readable))
                    {
                        return false;
                    }

                    // The master and every replica the proxy reads from (none with ReadPolicy Master) have all their
                    // multiplexed connections up (Backend:ConnectionsPerServer each).
                    if (info.Connections(topology.InitialMaster.EndPoint) < _connectionsPerServer
                        || topology.InitialReplicas.Any(replica => info.Backend(replica.EndPoint) is not null && info.Connections(replica.EndPoint) < _connectionsPerServer))
                    {
                        return false;
                    }
                }

                return true;
            },
            TimeSpan.FromSeconds(20),
            "the proxy to publish every group's master and readable replicas and connect to all of them",
            Describe);

        await using var client = await ConnectAsync();
        foreach (var (topology, slots) in _groups)
        {
            // A key of this group's slot range, written through the proxy: the write path works end to end.
            var key = KeySlot.FindKey($"settle:{topology.MasterName}:", slots);
            var reply = await client.CommandAsync("SET", key, "1");
            if (reply.ToString() != "+OK")
            {
                throw new InvalidOperationException($"SET through the settled proxy answered {reply}.{Environment.NewLine}{Describe()}");
            }
        }
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
