using System.Diagnostics;
using System.Globalization;
using RespProxy.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>
/// Sentinels die while clients keep working: one of three changes nothing (and a failover is still followed); all of
/// them leave the proxy serving the last topology it knew, and saying so in INFO proxy.
/// </summary>
[Collection(SentinelCollection.Name)]
public sealed class SentinelOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task One_of_three_sentinels_killed_traffic_is_unaffected_and_a_later_failover_is_still_followed()
    {
        // With two sentinels left both must vote for the same leader; when they start at the same instant the vote is
        // split and sentinel retries after 2 x failover-timeout (10 s). Hold and reply deadline cover that retry.
        var deadline = TimeSpan.FromSeconds(30);
        await using var topology = await SentinelTopology.StartAsync();
        await using var proxy = await SentinelProxy.StartAsync(topology, "--Topology:ReadPolicy=PreferReplica", "--Topology:HoldWritesMs=30000");
        var oldMaster = topology.InitialMaster;
        var prefix = $"one-sentinel-down:{Guid.NewGuid():N}:";
        await using (var setup = await proxy.ConnectAsync())
        {
            Assert.Equal("+OK", (await setup.CommandAsync("SET", prefix + "read", "stable")).ToString());
        }

        await ServerStats.WaitForReplicasToCatchUpAsync(oldMaster, topology.InitialReplicas);
        await using var writer = await TrafficLoop.StartIncrAsync("writer (INCR)", proxy, prefix + "counter", deadline);
        await using var reader = await TrafficLoop.StartGetAsync("reader (GET)", proxy, prefix + "read", "stable", deadline);
        string Describe() => $"{writer.Describe()}{Environment.NewLine}{reader.Describe()}{Environment.NewLine}{proxy.Describe()}";
        await Wait.UntilAsync(() => (writer.OkCount >= 30 && reader.OkCount >= 30) || writer.Broken || reader.Broken, TimeSpan.FromSeconds(15), "traffic before the sentinel is killed", Describe);

        // The first configured sentinel (the proxy's first choice) dies.
        var deadSentinel = topology.Sentinels[0];
        long sentinelKilledAt = Stopwatch.GetTimestamp();
        await deadSentinel.KillAsync();
        await Wait.UntilAsync(
            async () => (await proxy.InfoAsync()) is { SentinelsReachable: 2, SentinelStatus: "ok" },
            TimeSpan.FromSeconds(10),
            "INFO proxy to report 2 reachable sentinels and status ok",
            Describe);
        await Wait.UntilAsync(
            () => (writer.OkSentAfter(sentinelKilledAt) >= 50 && reader.OkSentAfter(sentinelKilledAt) >= 50) || writer.Broken || reader.Broken,
            TimeSpan.FromSeconds(15),
            "traffic after the sentinel was killed",
            Describe);
        Assert.Empty(writer.Failures.Select(f => f.Problem));
        Assert.Empty(reader.Failures.Select(f => f.Problem));
        Assert.Equal(oldMaster.EndPoint, proxy.PublishedMaster(topology.MasterName));

        // Then the master dies: the two remaining sentinels fail over, and the proxy follows.
        long killedAt = await Failover.KillMasterBetweenWritesAsync(topology, oldMaster, proxy, writer);
        string? newMaster = null;
        await Wait.UntilAsync(
            async () =>
            {
                newMaster = await topology.MasterFromSentinelsAsync();
                return (newMaster is not null && newMaster != oldMaster.EndPoint && proxy.PublishedMaster(topology.MasterName) == newMaster
                    && writer.OkSentAfter(proxy.PublishedAt(topology.MasterName, newMaster)!.Value) >= 30) || writer.Broken || reader.Broken;
            },
            TimeSpan.FromSeconds(60),
            "the two remaining sentinels to fail over, the proxy to follow, then 30 writes",
            Describe);
        await writer.StopAsync();
        await reader.StopAsync();
        output.WriteLine($"kill -> new master {newMaster} published: {Stopwatch.GetElapsedTime(killedAt, proxy.PublishedAt(topology.MasterName, newMaster!)!.Value).TotalMilliseconds:0} ms");
        output.WriteLine(writer.LatencySummary());
        output.WriteLine(reader.LatencySummary());

        Assert.False(writer.Broken || reader.Broken, Describe());
        Assert.Empty(writer.Failures.Select(f => f.Problem));
        Assert.Empty(reader.Failures.Select(f => f.Problem));
        Assert.Equal(writer.OkCount, writer.LastCounter);
        await using (var direct = await topology.ServerAt(newMaster!).ConnectAsync())
        {
            Assert.Equal(writer.LastCounter.ToString(CultureInfo.InvariantCulture), (await direct.CommandAsync("GET", prefix + "counter")).Text);
        }

        var info = await proxy.InfoAsync();
        Assert.Equal("ok", info.SentinelStatus);
        Assert.Equal(2, info.SentinelsReachable);
        Assert.Equal(newMaster, info.Group(0)["master"]);
    }

    [Fact]
    public async Task All_sentinels_killed_traffic_continues_on_the_last_topology_and_INFO_says_all_down_until_they_return()
    {
        await using var topology = await SentinelTopology.StartAsync();
        await using var proxy = await SentinelProxy.StartAsync(topology, "--Topology:ReadPolicy=PreferReplica");
        var master = topology.InitialMaster;
        var dc1Replica = topology.InitialReplicas.Single(r => r.Host == "127.0.1.2");
        var prefix = $"all-sentinels-down:{Guid.NewGuid():N}:";
        await using (var setup = await proxy.ConnectAsync())
        {
            Assert.Equal("+OK", (await setup.CommandAsync("SET", prefix + "read", "stable")).ToString());
        }

        await ServerStats.WaitForReplicasToCatchUpAsync(master, topology.InitialReplicas);
        var readersBefore = (await proxy.InfoAsync()).Readers(0);
        long versionBefore = proxy.Holder.Current.Version;
        await using var writer = await TrafficLoop.StartIncrAsync("writer (INCR)", proxy, prefix + "counter");
        await using var reader = await TrafficLoop.StartGetAsync("reader (GET)", proxy, prefix + "read", "stable");
        string Describe() => $"{writer.Describe()}{Environment.NewLine}{reader.Describe()}{Environment.NewLine}{proxy.Describe()}";
        await Wait.UntilAsync(() => (writer.OkCount >= 30 && reader.OkCount >= 30) || writer.Broken || reader.Broken, TimeSpan.FromSeconds(15), "traffic before the sentinels are killed", Describe);

        foreach (var sentinel in topology.Sentinels)
        {
            await sentinel.KillAsync();
        }

        long allDownAt = Stopwatch.GetTimestamp();
        await Wait.UntilAsync(
            async () => (await proxy.InfoAsync()) is { SentinelStatus: "all_down", SentinelsReachable: 0 },
            TimeSpan.FromSeconds(10),
            "INFO proxy to report sentinel_status:all_down",
            Describe);
        output.WriteLine($"all sentinels killed -> INFO proxy says all_down: {Stopwatch.GetElapsedTime(allDownAt).TotalMilliseconds:0} ms");

        // Several poll periods without sentinels, with traffic all along.
        // The replica's counter is read before the reference time, so every read counted below ran after it.
        long getsOnReplicaBefore = await ServerStats.CallsAsync(dc1Replica, "get");
        long reportedAt = Stopwatch.GetTimestamp();
        await Wait.UntilAsync(
            () => (writer.OkSentAfter(reportedAt) >= 100 && reader.OkSentAfter(reportedAt) >= 100) || writer.Broken || reader.Broken,
            TimeSpan.FromSeconds(20),
            "100 writes and 100 reads with every sentinel down",
            Describe);
        await writer.StopAsync();
        await reader.StopAsync();
        output.WriteLine(writer.LatencySummary(from: allDownAt));
        output.WriteLine(reader.LatencySummary(from: allDownAt));

        Assert.False(writer.Broken || reader.Broken, Describe());
        Assert.Empty(writer.Failures.Select(f => f.Problem));
        Assert.Empty(reader.Failures.Select(f => f.Problem));

        // The last topology stays in place: same master, same readers, nothing republished; reads still on the dc1 replica.
        var info = await proxy.InfoAsync();
        Assert.StartsWith("all_down", info.Fields["sentinel_status"], StringComparison.Ordinal);
        Assert.Equal(master.EndPoint, info.Group(0)["master"]);
        Assert.Equal(readersBefore, info.Readers(0));
        Assert.Equal(versionBefore, proxy.Holder.Current.Version);
        Assert.True(await ServerStats.CallsAsync(dc1Replica, "get") - getsOnReplicaBefore >= 100, "reads left the dc1 replica while the sentinels were down");
        await using (var direct = await master.ConnectAsync())
        {
            Assert.Equal(writer.LastCounter.ToString(CultureInfo.InvariantCulture), (await direct.CommandAsync("GET", prefix + "counter")).Text);
        }

        Assert.Equal(writer.OkCount, writer.LastCounter);

        // The sentinels come back: the proxy reconnects to them, says so, and follows the next failover again.
        foreach (var sentinel in topology.Sentinels)
        {
            await sentinel.RestartAsync();
        }

        long restartedAt = Stopwatch.GetTimestamp();
        await Wait.UntilAsync(
            async () => (await proxy.InfoAsync()) is { SentinelStatus: "ok", SentinelsReachable: 3 },
            TimeSpan.FromSeconds(15),
            "INFO proxy to report sentinel_status:ok with 3 reachable sentinels",
            proxy.Describe);
        output.WriteLine($"sentinels restarted -> INFO proxy says ok: {Stopwatch.GetElapsedTime(restartedAt).TotalMilliseconds:0} ms");
        Assert.Equal(master.EndPoint, proxy.PublishedMaster(topology.MasterName));

        await ServerStats.WaitForReplicasToCatchUpAsync(master, topology.InitialReplicas);
        await master.KillAsync();
        await Wait.UntilAsync(
            async () => await topology.MasterFromSentinelsAsync() is { } m && m != master.EndPoint && proxy.PublishedMaster(topology.MasterName) == m,
            TimeSpan.FromSeconds(40),
            "the restarted sentinels to fail over and the proxy to follow",
            proxy.Describe);
        var newMaster = (await topology.MasterFromSentinelsAsync())!;
        await using var client = await proxy.ConnectAsync();
        Assert.Equal(":" + (writer.LastCounter + 1).ToString(CultureInfo.InvariantCulture), (await client.CommandAsync("INCR", prefix + "counter")).ToString());
        await using (var direct = await topology.ServerAt(newMaster).ConnectAsync())
        {
            Assert.Equal((writer.LastCounter + 1).ToString(CultureInfo.InvariantCulture), (await direct.CommandAsync("GET", prefix + "counter")).Text);
        }
    }
}
