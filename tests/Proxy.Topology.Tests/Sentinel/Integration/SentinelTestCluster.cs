using RespProxy.TestSupport;
using RespProxy.Topology.Config;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Tests.Sentinel.Integration;

/// <summary>
/// A real sentinel deployment on loopback: a master on 127.0.0.1 ("main"), replicas on 127.0.1.1 ("east") and
/// 127.0.2.1 ("west"), and three sentinels on 127.0.0.11-13 (quorum 2, down-after 1000 ms). Starting returns once
/// replication is up and every sentinel knows both replicas and both other sentinels, so a failover can happen.
/// failover-timeout is 3 s so that a split leader vote is retried after 6 s rather than 20 s.
/// Disposal kills every process by PID, whatever state the test left it in.
/// </summary>
internal sealed class SentinelTestCluster : IAsyncDisposable
{
    public const string Group = "g1";
    private static readonly TimeSpan SetupDeadline = TimeSpan.FromSeconds(20);

    private readonly List<IAsyncDisposable> _processes = [];

    private SentinelTestCluster()
    {
    }

    public RedisServerProcess Master { get; private set; } = null!;

    public RedisServerProcess EastReplica { get; private set; } = null!;

    public RedisServerProcess WestReplica { get; private set; } = null!;

    public IReadOnlyList<SentinelProcess> Sentinels { get; private set; } = [];

    public static async Task<SentinelTestCluster> StartAsync()
    {
        var cluster = new SentinelTestCluster();
        try
        {
            await cluster.StartProcessesAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

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
        new[] { Master, EastReplica, WestReplica }.Where(p => p is not null).Select(p => p.Diagnostics())
            .Concat(Sentinels.Select(s => s.Diagnostics())));

    public async ValueTask DisposeAsync()
    {
        var failures = new List<Exception>();
        foreach (var process in Enumerable.Reverse(_processes))
        {
            try
            {
                await process.DisposeAsync();
            }
            catch (Exception ex)
            {
                failures.Add(ex);
            }
        }

        _processes.Clear();
        if (failures.Count > 0)
        {
            throw new AggregateException("Stopping the sentinel test cluster failed.", failures);
        }
    }

    private async Task StartProcessesAsync()
    {
        Master = Track(await RedisServerProcess.StartAsync("127.0.0.1"));
        string[] replicaOf = [$"replicaof {Master.Host} {Master.Port}"];
        var east = RedisServerProcess.StartAsync("127.0.1.1", extraConfig: replicaOf);
        var west = RedisServerProcess.StartAsync("127.0.2.1", extraConfig: replicaOf);
        EastReplica = Track(await east);
        WestReplica = Track(await west);
        await Wait.UntilAsync(
            async () => await LinkIsUpAsync(EastReplica) && await LinkIsUpAsync(WestReplica),
            SetupDeadline, "both replicas to have master_link_status:up", Diagnostics, CancellationToken.None);

        var monitored = new[] { (Group, Master.Host, Master.Port) };
        var sentinels = new[] { "127.0.0.11", "127.0.0.12", "127.0.0.13" }
            .Select(host => SentinelProcess.StartAsync(host, null, monitored, quorum: 2, downAfterMs: 1000, failoverTimeoutMs: 3000))
            .ToArray();
        var started = new List<SentinelProcess>();
        foreach (var sentinel in sentinels)
        {
            started.Add(Track(await sentinel));
        }

        Sentinels = started;
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var sentinel in Sentinels)
                {
                    if (!await SentinelSeesEverythingAsync(sentinel))
                    {
                        return false;
                    }
                }

                return true;
            },
            SetupDeadline, "every sentinel to know 2 replicas and 2 other sentinels", Diagnostics, CancellationToken.None);
    }

    private T Track<T>(T process)
        where T : IAsyncDisposable
    {
        _processes.Add(process);
        return process;
    }

    private static async Task<bool> LinkIsUpAsync(RedisServerProcess replica)
    {
        try
        {
            await using var client = await replica.ConnectAsync(TimeSpan.FromSeconds(2));
            var info = await client.CommandAsync("INFO", "replication");
            return RedisInfo.Parse(info.Text ?? "").GetValueOrDefault("master_link_status") == "up";
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static async Task<bool> SentinelSeesEverythingAsync(SentinelProcess sentinel)
    {
        try
        {
            await using var client = await sentinel.ConnectAsync(TimeSpan.FromSeconds(2));
            var replicas = await client.CommandAsync("SENTINEL", "REPLICAS", Group);
            var peers = await client.CommandAsync("SENTINEL", "SENTINELS", Group);
            return replicas.Items?.Count == 2 && peers.Items?.Count == 2;
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
