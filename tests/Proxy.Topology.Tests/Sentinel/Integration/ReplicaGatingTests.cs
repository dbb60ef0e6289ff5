using System.Diagnostics;
using RespProxy.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace RespProxy.Topology.Tests.Sentinel.Integration;

public sealed class ReplicaGatingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_killed_replica_takes_no_reads_until_it_is_back_and_linked()
    {
        await using var cluster = await SentinelTestCluster.StartAsync();
        await using var harness = await WatcherHarness.StartAsync(cluster.Options(), output);
        var east = SentinelTestCluster.EndpointOf(cluster.EastReplica);
        var west = SentinelTestCluster.EndpointOf(cluster.WestReplica);
        Assert.True(harness.Replica(east)?.Readable);
        Assert.True(harness.Replica(west)?.Readable);

        var clock = Stopwatch.StartNew();
        await cluster.EastReplica.KillAsync();
        await Wait.UntilAsync(() => harness.Replica(east)?.Readable == false, TimeSpan.FromSeconds(5), "the killed replica to be unreadable", harness.Describe);
        harness.Logger.WriteLine($"kill -> replica unreadable: {clock.ElapsedMilliseconds} ms");
        Assert.True(harness.Replica(west)?.Readable);
        Assert.Equal(SentinelTestCluster.EndpointOf(cluster.Master), harness.Group.Master?.Endpoint);

        clock.Restart();
        await cluster.EastReplica.RestartAsync();
        await Wait.UntilAsync(() => harness.Replica(east)?.Readable == true, TimeSpan.FromSeconds(15), "the restarted replica to be readable", harness.Describe);
        harness.Logger.WriteLine($"restart -> replica readable: {clock.ElapsedMilliseconds} ms");

        // Re-admitted only with its master link up.
        await using var client = await cluster.EastReplica.ConnectAsync();
        var info = RedisInfo.Parse((await client.CommandAsync("INFO", "replication")).Text ?? "");
        Assert.Equal("up", info["master_link_status"]);
    }
}
