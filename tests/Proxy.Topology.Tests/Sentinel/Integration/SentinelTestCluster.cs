using RespProxy.TestSupport;
using RespProxy.Topology.Config;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Tests.Sentinel.Integration;

/// <summary>
/// The shared <see cref="SentinelTopology"/> laid out for the watcher tests: a master on 127.0.0.1 ("main"), replicas
/// on 127.0.1.1 ("east") and 127.0.2.1 ("west"), and three sentinels on 127.0.0.11-13 (quorum 2, down-after
/// 1000 ms). failover-timeout is 3 s so that a split leader vote is retried after 6 s rather than 20 s.
/// Disposal kills every process by PID, whatever state the test left it in.
/// </summary>
internal sealed class SentinelTestCluster : IAsyncDisposable
{
    public const string Group = "g1";

    private readonly SentinelTopology _topology;

    private SentinelTestCluster(SentinelTopology topology)
    {
        _topology = topology;
    }

    public RedisServerProcess Master => _topology.InitialMaster;

    public RedisServerProcess EastReplica => _topology.InitialReplicas[0];

    public RedisServerProcess WestReplica => _topology.InitialReplicas[1];

    public IReadOnlyList<SentinelProcess> Sentinels => _topology.Sentinels;

    public static async Task<SentinelTestCluster> StartAsync() => new(await SentinelTopology.StartAsync(
        masterName: Group,
        masterHost: "127.0.0.1",
        replicaHosts: ["127.0.1.1", "127.0.2.1"],
        sentinelHosts: ["127.0.0.11", "127.0.0.12", "127.0.0.13"],
        downAfterMs: 1000,
        failoverTimeoutMs: 3000));

    public static ServerEndpoint EndpointOf(RedisServerProcess server) => new(server.Host, server.Port);

    /// <summary>Options naming the given sentinels (all three by default), one group over all slots, three datacenters.</summary>
    public TopologyOptions Options(params SentinelProcess[] sentinels) => new()
    {
        Mode = TopologyMode.Sentinel,
        Sentinels = (sentinels.Length == 0 ? Sentinels : sentinels).Select(s => s.EndPoint).ToList(),
        Groups = [new GroupOptions { Name = Group, Slots = "0-16383" }],
        DataCenters = new Dictionary<string, List<string>>
        {
            ["main"] = ["127.0.0.1"],
            ["east"] = ["127.0.1.0/24"],
            ["west"] = ["127.0.2.0/24"],
        },
    };

    public string Diagnostics() => string.Join(
        Environment.NewLine + Environment.NewLine,
        _topology.Servers.Select(p => p.Diagnostics()).Concat(Sentinels.Select(s => s.Diagnostics())));

    public ValueTask DisposeAsync() => _topology.DisposeAsync();
}
