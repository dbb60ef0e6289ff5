using RespProxy.TestSupport;
using RespProxy.Topology.Model;
using Xunit;
using Xunit.Abstractions;

namespace RespProxy.Topology.Tests.Sentinel.Integration;

public sealed class SentinelDiscoveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Discovers_master_readable_replicas_datacenters_and_the_other_sentinels()
    {
        await using var cluster = await SentinelTestCluster.StartAsync();
        // Only one sentinel configured: the other two must be found through SENTINEL SENTINELS.
        await using var harness = await WatcherHarness.StartAsync(cluster.Options(cluster.Sentinels[0]), output);

        var snapshot = harness.Holder.Current;
        Assert.Equal(TopologyMode.Sentinel, snapshot.Mode);
        Assert.True(snapshot.Version >= 1);
        var group = harness.Group;
        Assert.Equal(new ServerNode(SentinelTestCluster.EndpointOf(cluster.Master), ServerRole.Master, "main"), group.Master);
        Assert.Equal(
            [
                new ServerNode(SentinelTestCluster.EndpointOf(cluster.EastReplica), ServerRole.Replica, "east", Readable: true),
                new ServerNode(SentinelTestCluster.EndpointOf(cluster.WestReplica), ServerRole.Replica, "west", Readable: true),
            ],
            group.Replicas.ToArray());
        Assert.Equal(new SlotRange(0, 16383), Assert.Single(group.Slots));

        await Wait.UntilAsync(
            () => harness.Watcher.KnownSentinels.Count == 3 && harness.Watcher.ReachableSentinelCount == 3,
            TimeSpan.FromSeconds(5), "the watcher to discover and reach all three sentinels", harness.Describe);
        Assert.Equal(
            cluster.Sentinels.Select(s => s.EndPoint).Order(),
            harness.Watcher.KnownSentinels.Select(s => s.ToString()).Order());
        Assert.False(harness.Watcher.AllSentinelsDown);
        Assert.Equal(snapshot.Version, harness.Holder.Current.Version); // nothing changed, so nothing was republished
    }
}
