using RespProxy.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace RespProxy.Topology.Tests.Sentinel.Integration;

public sealed class OneSentinelDownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Discovery_works_with_one_of_three_sentinels_dead()
    {
        await using var cluster = await SentinelTestCluster.StartAsync();
        await cluster.Sentinels[0].KillAsync();

        await using var harness = await WatcherHarness.StartAsync(cluster.Options(), output);

        var group = harness.Group;
        Assert.Equal(SentinelTestCluster.EndpointOf(cluster.Master), group.Master?.Endpoint);
        Assert.Equal(2, group.Replicas.Length);
        Assert.All(group.Replicas, replica => Assert.True(replica.Readable));
        Assert.Equal(["east", "west"], group.Replicas.Select(r => r.DataCenter).Order());
        Assert.Equal(2, harness.Watcher.ReachableSentinelCount);
        Assert.False(harness.Watcher.AllSentinelsDown);
        Assert.Contains(cluster.Sentinels[0].EndPoint, harness.Watcher.LastError, StringComparison.Ordinal);
    }
}

public sealed class AllSentinelsDownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Losing_every_sentinel_keeps_the_last_topology()
    {
        await using var cluster = await SentinelTestCluster.StartAsync();
        await using var harness = await WatcherHarness.StartAsync(cluster.Options(), output);
        var before = harness.Holder.Current;
        Assert.NotNull(before.Groups[0].Master);
        Assert.False(harness.Watcher.AllSentinelsDown);

        await Task.WhenAll(cluster.Sentinels.Select(s => s.KillAsync()));
        await Wait.UntilAsync(() => harness.Watcher.AllSentinelsDown, TimeSpan.FromSeconds(5), "AllSentinelsDown", harness.Describe);

        Assert.Same(before, harness.Holder.Current);
        Assert.Equal(SentinelTestCluster.EndpointOf(cluster.Master), harness.Group.Master?.Endpoint);
        Assert.All(harness.Group.Replicas, replica => Assert.True(replica.Readable));
        Assert.Equal(0, harness.Watcher.ReachableSentinelCount);
        Assert.Contains("all 3 sentinels unreachable", harness.Watcher.LastError, StringComparison.Ordinal);
    }
}
