using System.Diagnostics;
using System.Globalization;
using RespProxy.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>
/// Replicas fail and come back under read traffic: reads never fail and never see a replica that is empty, loading
/// or out of sync; they prefer the proxy's own datacenter (dc1) and move to dc2 only while dc1 has no usable replica.
/// </summary>
[Collection(SentinelCollection.Name)]
public sealed class ReplicaFailureTests(ITestOutputHelper output)
{
    private const string Dc1Replica = "127.0.1.2";
    private const string Dc2Replica = "127.0.2.1";

    [Fact]
    public async Task Replica_killed_then_restarted_reads_never_fail_nor_reach_it_before_it_has_loaded_and_synced()
    {
        // Key count times key-load-delay makes the restarted replica load for seconds; events are processed every KB
        // of the RDB so it answers INFO (and, if the proxy asked, -LOADING) meanwhile.
        const int KeyCount = 30_000;
        const int BatchSize = 1_000;
        await using var topology = await SentinelTopology.StartAsync(serverConfig: ["repl-diskless-sync-delay 1"]);
        await using var proxy = await SentinelProxy.StartAsync(topology, "--Topology:ReadPolicy=Replica");
        var master = topology.InitialMaster;
        var victim = topology.InitialReplicas.Single(r => r.Host == Dc1Replica);
        var survivor = topology.InitialReplicas.Single(r => r.Host == Dc2Replica);
        var prefix = $"replica-restart:{Guid.NewGuid():N}:";
        await using (var setup = await proxy.ConnectAsync())
        {
            for (int batch = 0; batch < KeyCount / BatchSize; batch++)
            {
                var args = new List<string> { "MSET" };
                for (int i = batch * BatchSize; i < (batch + 1) * BatchSize; i++)
                {
                    args.Add(prefix + i.ToString(CultureInfo.InvariantCulture));
                    args.Add("v" + i.ToString(CultureInfo.InvariantCulture));
                }

                Assert.Equal("+OK", (await setup.CommandAsync([.. args])).ToString());
            }
        }

        await ServerStats.WaitForReplicasToCatchUpAsync(master, topology.InitialReplicas);
        long masterGetsBefore = await ServerStats.CallsAsync(master, "get");

        // Every read asks for a key known to exist and checks its value: an empty or half-loaded replica would answer nil.
        static long KeyOf(long sequence) => sequence * 7919 % KeyCount;
        await using var reader = await TrafficLoop.StartAsync(
            "reader (GET)",
            proxy,
            sequence => ["GET", prefix + KeyOf(sequence).ToString(CultureInfo.InvariantCulture)],
            (sequence, reply) => reply.Text == "v" + KeyOf(sequence).ToString(CultureInfo.InvariantCulture) ? null : $"expected v{KeyOf(sequence)}");
        string Describe() => reader.Describe() + Environment.NewLine + proxy.Describe();
        await Wait.UntilAsync(
            async () => (reader.OkCount >= 30 && await ServerStats.CallsAsync(victim, "get") > 0) || reader.Broken,
            TimeSpan.FromSeconds(15),
            "reads through the proxy reaching the dc1 replica",
            Describe);

        long killedAt = Stopwatch.GetTimestamp();
        await victim.KillAsync();
        long survivorGetsAfterKill = await ServerStats.CallsAsync(survivor, "get");
        await Wait.UntilAsync(() => reader.OkSentAfter(killedAt) >= 50 || reader.Broken, TimeSpan.FromSeconds(15), "reads after the kill", Describe);

        // Restarted empty (no RDB of its own, so no partial resync): it must fully sync and then load for seconds.
        File.Delete(Path.Combine(victim.WorkDir, "dump.rdb"));
        await victim.RestartAsync(["key-load-delay 50", "loading-process-events-interval-bytes 1024"]);
        long restartedAt = Stopwatch.GetTimestamp();

        // Watch the restarted replica from the side: its state and how many GETs it ran or refused, sampled as fast as
        // it answers INFO. Every sample taken while it is loading, syncing or without its master link must show zero.
        var samples = new List<(long At, bool Ready, string State, long Gets, long RejectedGets)>();
        await using (var watcher = await victim.ConnectAsync(TimeSpan.FromSeconds(30)))
        {
            await Wait.UntilAsync(
                async () =>
                {
                    var info = await ServerStats.InfoAsync(watcher, "replication", "persistence", "commandstats");
                    bool loading = info.GetValueOrDefault("loading") == "1";
                    bool syncing = info.GetValueOrDefault("master_sync_in_progress") == "1";
                    string link = info.GetValueOrDefault("master_link_status", "?");
                    bool ready = !loading && !syncing && link == "up";
                    string state = loading ? "loading" : syncing ? "syncing" : "link " + link;
                    samples.Add((Stopwatch.GetTimestamp(), ready, state, ServerStats.Calls(info, "get"), ServerStats.RejectedCalls(info, "get")));
                    return (ready && samples[^1].Gets >= 20) || reader.Broken;
                },
                TimeSpan.FromSeconds(60),
                "the restarted replica to load, sync and take reads again",
                () => victim.Diagnostics() + Environment.NewLine + Describe());
        }

        await reader.StopAsync();
        long survivorGets = await ServerStats.CallsAsync(survivor, "get");
        long masterGets = await ServerStats.CallsAsync(master, "get") - masterGetsBefore;

        // The timeline, state by state.
        foreach (var run in Runs(samples))
        {
            output.WriteLine($"restart+{Ms(restartedAt, run.From):0} ms .. +{Ms(restartedAt, run.To):0} ms: {run.State} ({run.Count} samples), GETs run {run.Gets}, refused {run.Rejected}");
        }

        var firstReady = samples.First(s => s.Ready);
        var firstRead = samples.First(s => s.Gets > 0);
        output.WriteLine($"ready -> first read routed to it again: {Ms(firstReady.At, firstRead.At):0} ms");
        output.WriteLine(reader.LatencySummary());
        output.WriteLine($"GETs: dc2 replica {survivorGets} ({survivorGets - survivorGetsAfterKill} after the kill), master {masterGets}, restarted replica {samples[^1].Gets}");

        Assert.False(reader.Broken, Describe());
        Assert.Empty(reader.Failures.Select(f => f.Problem));
        Assert.Contains(samples, s => s.State == "loading"); // the scenario happened: it really was loading for a while
        Assert.All(samples.Where(s => !s.Ready), s => Assert.True(
            s.Gets == 0 && s.RejectedGets == 0,
            $"the restarted replica ran {s.Gets} and refused {s.RejectedGets} GETs while {s.State} (restart+{Ms(restartedAt, s.At):0} ms)"));
        Assert.True(samples[^1].Gets >= 20, "reads did not come back to the restarted replica");
        Assert.True(survivorGets > survivorGetsAfterKill, "the dc2 replica took no reads while the dc1 replica was down");
        Assert.Equal(0, masterGets); // ReadPolicy Replica: never the master
    }

    [Fact]
    public async Task Reads_prefer_the_local_datacenter_move_to_the_other_one_while_it_is_down_and_come_back()
    {
        const int Reads = 200;
        await using var topology = await SentinelTopology.StartAsync();
        await using var proxy = await SentinelProxy.StartAsync(topology, "--Topology:ReadPolicy=PreferReplica");
        var master = topology.InitialMaster;
        var dc1 = topology.InitialReplicas.Single(r => r.Host == Dc1Replica);
        var dc2 = topology.InitialReplicas.Single(r => r.Host == Dc2Replica);
        var key = $"dc-routing:{Guid.NewGuid():N}";
        await using var client = await proxy.ConnectAsync();
        Assert.Equal("+OK", (await client.CommandAsync("SET", key, "here")).ToString());
        await ServerStats.WaitForReplicasToCatchUpAsync(master, topology.InitialReplicas);

        async Task<(long Master, long Dc1, long Dc2)> ReadThroughProxyAsync(string phase)
        {
            var before = await GetCallsAsync(master, dc1, dc2);
            for (int i = 0; i < Reads; i++)
            {
                var reply = await client.CommandAsync("GET", key);
                Assert.True(reply.Text == "here", $"{phase}: GET #{i} answered {reply}");
            }

            var after = await GetCallsAsync(master, dc1, dc2);
            var delta = (after.Master - before.Master, after.Dc1 - before.Dc1, after.Dc2 - before.Dc2);
            output.WriteLine($"{phase}: {Reads} GETs -> master +{delta.Item1}, dc1 replica +{delta.Item2}, dc2 replica +{delta.Item3}");
            return delta;
        }

        Assert.Equal((0, Reads, 0), await ReadThroughProxyAsync("all up"));

        await dc1.KillAsync();
        Assert.Equal((0, 0, Reads), await ReadThroughProxyAsync("dc1 replica killed"));

        // The proxy's own connection noticed the outage at once; its topology (sentinels and probes, polled) must have
        // too before the replica comes back. Otherwise that news can arrive after reads went back to the replica (the
        // sentinels still flag it disconnected for a moment after the restart) and withdraw it once more.
        bool Dc1Readable() => proxy.Group(topology.MasterName).Replicas.Single(r => r.Endpoint.ToString() == dc1.EndPoint).Readable;
        await Wait.UntilAsync(() => Task.FromResult(!Dc1Readable()), TimeSpan.FromSeconds(20), "the proxy to publish the dc1 replica as not readable", proxy.Describe);

        await dc1.RestartAsync();
        await ServerStats.WaitForLinkUpAsync(dc1, master, TimeSpan.FromSeconds(30));
        var linkUp = Stopwatch.StartNew();
        await Wait.UntilAsync(
            async () => Dc1Readable() && (await client.CommandAsync("GET", key)).Text == "here" && await ServerStats.CallsAsync(dc1, "get") > 0,
            TimeSpan.FromSeconds(20),
            "reads to come back to the restarted dc1 replica",
            proxy.Describe);
        output.WriteLine($"dc1 replica link up -> reads back on it: {linkUp.ElapsedMilliseconds} ms");

        Assert.Equal((0, Reads, 0), await ReadThroughProxyAsync("dc1 replica back in sync"));
    }

    private static async Task<(long Master, long Dc1, long Dc2)> GetCallsAsync(RedisServerProcess master, RedisServerProcess dc1, RedisServerProcess dc2) =>
        (await ServerStats.CallsAsync(master, "get"), dc1.IsRunning ? await ServerStats.CallsAsync(dc1, "get") : 0, await ServerStats.CallsAsync(dc2, "get"));

    /// <summary>Consecutive samples with the same state, merged.</summary>
    private static List<(string State, long From, long To, int Count, long Gets, long Rejected)> Runs(
        List<(long At, bool Ready, string State, long Gets, long RejectedGets)> samples)
    {
        var runs = new List<(string State, long From, long To, int Count, long Gets, long Rejected)>();
        foreach (var sample in samples)
        {
            if (runs.Count > 0 && runs[^1].State == sample.State)
            {
                var last = runs[^1];
                runs[^1] = (last.State, last.From, sample.At, last.Count + 1, sample.Gets, sample.RejectedGets);
            }
            else
            {
                runs.Add((sample.State, sample.At, sample.At, 1, sample.Gets, sample.RejectedGets));
            }
        }

        return runs;
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
