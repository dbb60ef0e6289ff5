using System.Collections.Concurrent;
using RespProxy.Topology.Config;
using RespProxy.Topology.Model;
using RespProxy.Topology.Sentinel;
using Xunit.Abstractions;

namespace RespProxy.Topology.Tests.Sentinel.Integration;

/// <summary>A started <see cref="SentinelWatcher"/> with its holder; records every published snapshot.</summary>
internal sealed class WatcherHarness : IAsyncDisposable
{
    private WatcherHarness(TopologyHolder holder, SentinelWatcher watcher, TestOutputLogger logger)
    {
        Holder = holder;
        Watcher = watcher;
        Logger = logger;
        holder.Changed += (_, next) => Published.Enqueue(next);
    }

    public TopologyHolder Holder { get; }

    public SentinelWatcher Watcher { get; }

    public TestOutputLogger Logger { get; }

    public ConcurrentQueue<TopologySnapshot> Published { get; } = new();

    public ShardGroup Group => Holder.Current.Groups.Single(g => g.Name == SentinelTestCluster.Group);

    public static async Task<WatcherHarness> StartAsync(TopologyOptions options, ITestOutputHelper output)
    {
        var logger = new TestOutputLogger(output);
        var holder = new TopologyHolder(SentinelWatcher.CreateInitialSnapshot(options));
        var watcher = new SentinelWatcher(options, holder, logger);
        var harness = new WatcherHarness(holder, watcher, logger);
        try
        {
            await watcher.StartAsync(CancellationToken.None);
            return harness;
        }
        catch
        {
            await watcher.DisposeAsync();
            throw;
        }
    }

    public ServerNode? Replica(ServerEndpoint endpoint) => Group.Replicas.FirstOrDefault(r => r.Endpoint == endpoint);

    /// <summary>The current group, for timeout messages.</summary>
    public string Describe()
    {
        var group = Group;
        return $"version {Holder.Current.Version}: master {group.Master?.ToString() ?? "(none)"}; replicas {string.Join(", ", group.Replicas)}; "
            + $"allDown {Watcher.AllSentinelsDown}; lastError {Watcher.LastError}";
    }

    public ValueTask DisposeAsync() => Watcher.DisposeAsync();
}
