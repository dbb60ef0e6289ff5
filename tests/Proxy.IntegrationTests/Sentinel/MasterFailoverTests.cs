using System.Diagnostics;
using System.Globalization;
using RespProxy.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>
/// The master of a sentinel group dies (SIGKILL) or hangs (SIGSTOP) under steady traffic through the proxy: writes
/// wait in the hold and go to the promoted replica, nothing acknowledged is lost, and nothing is written to the old
/// master once it is demoted — even while it is back and still believes it is the master.
/// </summary>
[Collection(SentinelCollection.Name)]
public sealed class MasterFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan FailoverDeadline = TimeSpan.FromSeconds(40);

    /// <summary>The issue asks for 100 ms; this bound must also hold on a loaded 2-core CI machine.</summary>
    private static readonly TimeSpan SwitchToFirstWriteBound = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A failover here takes 2-3 s; the default 5 s hold is explicitly doubled to the clients' 10 s reply deadline so
    /// a slow sentinel on a loaded machine cannot turn held writes into -TRYAGAIN.
    /// </summary>
    internal const string HoldLongerThanAFailover = "--Topology:HoldWritesMs=10000";

    [Fact]
    public async Task Master_killed_writes_are_held_then_acknowledged_by_the_new_master_with_none_lost()
    {
        await using var topology = await SentinelTopology.StartAsync();
        await using var proxy = await SentinelProxy.StartAsync(topology, "--Topology:ReadPolicy=PreferReplica", HoldLongerThanAFailover);
        var oldMaster = topology.InitialMaster;
        var prefix = $"kill-master:{Guid.NewGuid():N}:";
        string counterKey = prefix + "counter", readKey = prefix + "read";
        await using (var setup = await proxy.ConnectAsync())
        {
            Assert.Equal("+OK", (await setup.CommandAsync("SET", readKey, "stable")).ToString());
        }

        await ServerStats.WaitForReplicasToCatchUpAsync(oldMaster, topology.InitialReplicas);
        await using var switches = await SwitchMasterWatch.StartAsync(topology.Sentinels, topology.MasterName);

        await using var writer = await TrafficLoop.StartIncrAsync("writer (INCR)", proxy, counterKey);
        await using var reader = await TrafficLoop.StartGetAsync("reader (GET)", proxy, readKey, "stable");
        string Describe() => $"{writer.Describe()}{Environment.NewLine}{reader.Describe()}{Environment.NewLine}{proxy.Describe()}";

        await Wait.UntilAsync(() => (writer.OkCount >= 30 && reader.OkCount >= 30) || writer.Broken || reader.Broken, TimeSpan.FromSeconds(15), "traffic before the kill", Describe);

        // The kill lands between two INCRs (see KillMasterBetweenWritesAsync): everything sent after must be held and succeed.
        long killedAt = await Failover.KillMasterBetweenWritesAsync(topology, oldMaster, proxy, writer);

        await Wait.UntilAsync(
            () => (switches.First is not null && writer.OkSentAfter(killedAt) >= 50 && reader.OkSentAfter(killedAt) >= 50) || writer.Broken || reader.Broken,
            FailoverDeadline,
            "the failover, then 50 acknowledged writes and 50 reads after the kill",
            Describe);
        await writer.StopAsync();
        await reader.StopAsync();

        var newMaster = await topology.MasterFromSentinelsAsync();
        var firstSwitch = switches.First!;
        var firstWriteAfterKill = writer.Outcomes.First(o => o.SentAt > killedAt);
        long? publishedAt = newMaster is null ? null : proxy.PublishedAt(topology.MasterName, newMaster);
        long? withdrawnAt = proxy.MasterWithdrawnAt(topology.MasterName, killedAt);
        output.WriteLine($"old master {oldMaster.EndPoint}, new master {newMaster} (+switch-master from {string.Join(", ", switches.Announcements.Select(a => $"{a.Sentinel} at kill+{Ms(killedAt, a.At):0} ms"))})");
        output.WriteLine($"kill -> first +switch-master: {Ms(killedAt, firstSwitch.At):0} ms");
        output.WriteLine($"kill -> proxy withdrew the master: {(withdrawnAt is { } w ? Ms(killedAt, w).ToString("0", CultureInfo.InvariantCulture) : "never")} ms; kill -> proxy published the new master: {(publishedAt is { } p ? Ms(killedAt, p).ToString("0", CultureInfo.InvariantCulture) : "never")} ms");
        output.WriteLine($"kill -> first write after the kill acknowledged: {Ms(killedAt, firstWriteAfterKill.RepliedAt):0} ms (it waited {firstWriteAfterKill.Latency.TotalMilliseconds:0} ms in the hold)");
        output.WriteLine($"+switch-master -> first acknowledged write: {Ms(firstSwitch.At, firstWriteAfterKill.RepliedAt):0} ms (negative: the proxy switched before the announcement)");
        output.WriteLine(writer.LatencySummary());
        output.WriteLine(reader.LatencySummary());

        // No error at all: everything sent during the outage was held, and every read was answered.
        Assert.False(writer.Broken || reader.Broken, Describe());
        Assert.Empty(writer.Failures.Select(f => f.Problem));
        Assert.Empty(reader.Failures.Select(f => f.Problem));
        Assert.True(firstWriteAfterKill.Ok, Describe());

        // The proxy follows the sentinels' new master.
        Assert.NotNull(newMaster);
        Assert.NotEqual(oldMaster.EndPoint, newMaster);
        Assert.Equal(newMaster, firstSwitch.NewMaster);
        Assert.Equal(newMaster, proxy.PublishedMaster(topology.MasterName));
        Assert.Equal(newMaster, (await proxy.InfoAsync()).Group(0)["master"]);

        // Zero acknowledged writes lost: the counter holds exactly the acknowledged INCRs, through the proxy and on the
        // new master itself (each acknowledged INCR also returned the previous value plus one).
        Assert.Equal(writer.OkCount, writer.LastCounter);
        var newMasterServer = topology.ServerAt(newMaster);
        await using (var direct = await newMasterServer.ConnectAsync())
        {
            Assert.Equal(writer.LastCounter.ToString(CultureInfo.InvariantCulture), (await direct.CommandAsync("GET", counterKey)).Text);
        }

        // Through the proxy the GET goes to the surviving replica (PreferReplica), which the new master feeds
        // asynchronously and which may still be a few writes behind right after the last one: read once it caught up.
        await ServerStats.WaitForReplicasToCatchUpAsync(newMasterServer, topology.InitialReplicas.Where(r => r != newMasterServer));
        await using (var check = await proxy.ConnectAsync())
        {
            Assert.Equal(writer.LastCounter.ToString(CultureInfo.InvariantCulture), (await check.CommandAsync("GET", counterKey)).Text);
        }

        var switchToFirstWrite = Stopwatch.GetElapsedTime(firstSwitch.At, firstWriteAfterKill.RepliedAt);
        Assert.True(
            switchToFirstWrite <= SwitchToFirstWriteBound,
            $"the first write after the kill was acknowledged {switchToFirstWrite.TotalMilliseconds:0} ms after +switch-master (bound {SwitchToFirstWriteBound.TotalMilliseconds:0} ms)");
    }

    [Fact]
    public async Task Master_hung_requests_time_out_cleanly_writes_follow_the_failover_and_never_reach_the_resumed_old_master()
    {
        const int RequestTimeoutMs = 1500;
        await using var topology = await SentinelTopology.StartAsync();
        await using var proxy = await SentinelProxy.StartAsync(
            topology, "--Topology:ReadPolicy=PreferReplica", $"--Backend:RequestTimeoutMs={RequestTimeoutMs}", HoldLongerThanAFailover);
        var oldMaster = topology.InitialMaster;
        var prefix = $"hung-master:{Guid.NewGuid():N}:";
        string counterKey = prefix + "counter", readKey = prefix + "read", fenceKey = prefix + "fence";
        await using (var setup = await proxy.ConnectAsync())
        {
            Assert.Equal("+OK", (await setup.CommandAsync("SET", readKey, "stable")).ToString());
        }

        await ServerStats.WaitForReplicasToCatchUpAsync(oldMaster, topology.InitialReplicas);

        await using var writer = await TrafficLoop.StartIncrAsync("writer (INCR)", proxy, counterKey);
        await using var reader = await TrafficLoop.StartGetAsync("reader (GET)", proxy, readKey, "stable");
        string Describe() => $"{writer.Describe()}{Environment.NewLine}{reader.Describe()}{Environment.NewLine}{proxy.Describe()}";
        await Wait.UntilAsync(() => (writer.OkCount >= 30 && reader.OkCount >= 30) || writer.Broken || reader.Broken, TimeSpan.FromSeconds(15), "traffic before SIGSTOP", Describe);

        // SIGSTOP between two INCRs; then one request that is certainly written to the hung master (its connections are
        // still open, nothing has noticed yet): it must come back as an error after the request timeout, not hang.
        long stoppedAt;
        TimeSpan probeElapsed;
        RespValue probeReply;
        await writer.PauseAsync();
        try
        {
            await ServerStats.WaitForReplicasToCatchUpAsync(oldMaster, topology.InitialReplicas);
            oldMaster.Suspend();
            stoppedAt = Stopwatch.GetTimestamp();
            await using var probe = await proxy.ConnectAsync();
            probeReply = await probe.CommandAsync("INCR", prefix + "probe");
            probeElapsed = Stopwatch.GetElapsedTime(stoppedAt);
        }
        finally
        {
            writer.Resume();
        }

        output.WriteLine($"request written to the hung master answered after {probeElapsed.TotalMilliseconds:0} ms: {probeReply}");
        Assert.True(probeReply.IsError, $"a request to the SIGSTOPped master got {probeReply}");
        Assert.Contains($"no reply within {RequestTimeoutMs} ms", probeReply.Text, StringComparison.Ordinal);
        Assert.InRange(probeElapsed, TimeSpan.FromMilliseconds(RequestTimeoutMs - 100), TimeSpan.FromMilliseconds(RequestTimeoutMs + 2500));

        await Wait.UntilAsync(
            async () => (await topology.MasterFromSentinelsAsync() is { } m && m != oldMaster.EndPoint && proxy.PublishedMaster(topology.MasterName) == m
                && writer.OkSentAfter(proxy.PublishedAt(topology.MasterName, m)!.Value) >= 30) || writer.Broken || reader.Broken,
            FailoverDeadline,
            "the proxy to follow the failover away from the hung master, then 30 acknowledged writes",
            Describe);
        var newMasterEndPoint = (await topology.MasterFromSentinelsAsync())!;
        var newMaster = topology.ServerAt(newMasterEndPoint);
        long publishedAt = proxy.PublishedAt(topology.MasterName, newMasterEndPoint)!.Value;
        output.WriteLine($"SIGSTOP -> new master {newMasterEndPoint} published: {Ms(stoppedAt, publishedAt):0} ms");

        // The old master comes back. Sentinel leaves it a master for about 8 s before converting it to a replica: writes
        // through the proxy must keep going to the new master only. INCRBYFLOAT is replicated as SET, so every
        // INCRBYFLOAT the old master ever runs would have come straight from a client, i.e. from the proxy.
        long fenceValue = 0;
        await using var fencer = await TrafficLoop.StartAsync("fence writer (INCRBYFLOAT)", proxy, _ => ["INCRBYFLOAT", fenceKey, "1"], reply =>
        {
            if (reply.Text != (fenceValue + 1).ToString(CultureInfo.InvariantCulture))
            {
                return $"expected {fenceValue + 1}";
            }

            fenceValue++;
            return null;
        });
        await Wait.UntilAsync(() => fencer.OkCount >= 20 || fencer.Broken, TimeSpan.FromSeconds(10), "fence writes before the old master resumes", fencer.Describe);

        oldMaster.Resume();
        long resumedAt = Stopwatch.GetTimestamp();
        bool sawOldMasterActAsMaster = false;
        await Wait.UntilAsync(
            async () =>
            {
                if (await ServerStats.TryInfoAsync(oldMaster, "replication") is not { } info)
                {
                    return false;
                }

                sawOldMasterActAsMaster |= info.GetValueOrDefault("role") == "master";
                return info.GetValueOrDefault("role") == "slave" && info.GetValueOrDefault("master_port") == newMaster.Port.ToString(CultureInfo.InvariantCulture)
                    && info.GetValueOrDefault("master_link_status") == "up";
            },
            FailoverDeadline,
            "sentinel to convert the resumed old master into a replica of the new master",
            () => oldMaster.Diagnostics() + Environment.NewLine + proxy.Describe());
        long convertedAt = Stopwatch.GetTimestamp();
        output.WriteLine($"old master resumed -> replica of the new master with its link up: {Ms(resumedAt, convertedAt):0} ms (it answered as a master meanwhile: {sawOldMasterActAsMaster})");
        await Wait.UntilAsync(() => fencer.OkSentAfter(convertedAt) >= 30 || fencer.Broken, TimeSpan.FromSeconds(15), "fence writes after the conversion", fencer.Describe);

        // Demoted and in sync, the old master is an ordinary replica now: it takes reads again (never writes).
        await proxy.WaitForReadableReplicaAsync(oldMaster.EndPoint, TimeSpan.FromSeconds(30));
        output.WriteLine($"old master a replica with its link up -> readable through the proxy: {Ms(convertedAt, Stopwatch.GetTimestamp()):0} ms");
        Assert.Equal(newMasterEndPoint, proxy.PublishedMaster(topology.MasterName));

        await fencer.StopAsync();
        await writer.StopAsync();
        await reader.StopAsync();
        output.WriteLine(writer.Describe());
        output.WriteLine(writer.LatencySummary());
        output.WriteLine(reader.LatencySummary());
        output.WriteLine(fencer.LatencySummary());

        // Requests written to the hung master failed with the request timeout (quickly, cleanly); nothing else failed,
        // nothing hung, and after the new master was published every write succeeded.
        Assert.False(writer.Broken || reader.Broken || fencer.Broken, Describe());
        foreach (var failure in writer.Failures)
        {
            Assert.True(
                failure.Reply is { IsError: true } && failure.Reply.Text!.Contains(oldMaster.EndPoint, StringComparison.Ordinal) && failure.SentAt < publishedAt,
                $"unexpected write failure: {failure.Problem} (sent {Ms(stoppedAt, failure.SentAt):0} ms after SIGSTOP)");
            Assert.True(failure.Latency < TimeSpan.FromMilliseconds(RequestTimeoutMs + 2500), $"a failed write took {failure.Latency.TotalMilliseconds:0} ms: {failure.Problem}");
        }

        Assert.Empty(reader.Failures.Select(f => f.Problem));
        Assert.Empty(fencer.Failures.Select(f => f.Problem));
        Assert.Equal(newMasterEndPoint, proxy.PublishedMaster(topology.MasterName));

        // Acknowledged INCRs all reached the new master: the counter equals their number.
        Assert.Equal(writer.OkCount, writer.LastCounter);
        await using (var direct = await newMaster.ConnectAsync())
        {
            Assert.Equal(writer.LastCounter.ToString(CultureInfo.InvariantCulture), (await direct.CommandAsync("GET", counterKey)).Text);
        }

        // The fence check: the old master never ran an INCRBYFLOAT (as a master or a replica), the new master ran each
        // acknowledged one, and the old master holds the value it replicated.
        var oldStats = await ServerStats.InfoAsync(oldMaster, "commandstats");
        var newStats = await ServerStats.InfoAsync(newMaster, "commandstats");
        output.WriteLine($"INCRBYFLOAT calls: old master {ServerStats.Calls(oldStats, "incrbyfloat")}, new master {ServerStats.Calls(newStats, "incrbyfloat")}; acknowledged {fencer.OkCount}");
        Assert.Equal(0, ServerStats.Calls(oldStats, "incrbyfloat"));
        Assert.Equal(0, ServerStats.RejectedCalls(oldStats, "incrbyfloat"));
        Assert.Equal(fencer.OkCount, ServerStats.Calls(newStats, "incrbyfloat"));
        Assert.Equal(fencer.OkCount, fenceValue);
        await ServerStats.WaitForReplicasToCatchUpAsync(newMaster, [oldMaster]);
        await using (var direct = await oldMaster.ConnectAsync())
        {
            Assert.Equal(fenceValue.ToString(CultureInfo.InvariantCulture), (await direct.CommandAsync("GET", fenceKey)).Text);
        }
    }

    [Fact]
    public async Task Pipelined_writes_held_through_a_failover_run_once_each_and_in_the_order_each_client_sent_them()
    {
        // Several clients pipeline RPUSHes without waiting for replies; thousands are held during the failover and
        // released at once, while the same clients keep sending. A session's released requests and its next ones must
        // run in order, whichever of the new master's multiplexed connections each goes to (with several clients, some
        // sessions' connection affinity differs from the connection the hold releases onto).
        const int Clients = 4;
        await using var topology = await SentinelTopology.StartAsync();
        await using var proxy = await SentinelProxy.StartAsync(topology, HoldLongerThanAFailover);
        var oldMaster = topology.InitialMaster;
        var prefix = $"held-order:{Guid.NewGuid():N}:";
        var pushers = new List<PipelinedPusher>();
        try
        {
            for (int i = 0; i < Clients; i++)
            {
                pushers.Add(await PipelinedPusher.StartAsync(proxy, $"{prefix}list{i}"));
            }

            string Describe() => string.Join(Environment.NewLine, pushers.Select(p => p.Describe())) + Environment.NewLine + proxy.Describe();
            await Wait.UntilAsync(() => pushers.All(p => p.Acknowledged >= 500) || pushers.Any(p => p.Broken), TimeSpan.FromSeconds(15), "pipelined writes before the kill", Describe);

            long killedAt = await Failover.KillMasterBetweenWritesAsync(topology, oldMaster, proxy, [.. pushers]);
            var sentAtKill = pushers.Select(p => p.Sent).ToArray();
            string? newMaster = null;
            await Wait.UntilAsync(
                async () =>
                {
                    newMaster = await topology.MasterFromSentinelsAsync();
                    return (newMaster is not null && newMaster != oldMaster.EndPoint && proxy.PublishedMaster(topology.MasterName) == newMaster)
                        || pushers.Any(p => p.Broken);
                },
                FailoverDeadline,
                "the failover",
                Describe);

            // Everything held is released now; keep pushing until 500 requests sent after the release are answered too.
            var sentAtRelease = pushers.Select(p => p.Sent).ToArray();
            await Wait.UntilAsync(
                () => pushers.Select((p, i) => p.Replied >= sentAtRelease[i] + 500).All(done => done) || pushers.Any(p => p.Broken),
                TimeSpan.FromSeconds(20),
                "500 RPUSHes per client after the release",
                Describe);
            foreach (var pusher in pushers)
            {
                await pusher.StopAsync();
            }

            output.WriteLine($"kill -> new master {newMaster} published: {Ms(killedAt, proxy.PublishedAt(topology.MasterName, newMaster!)!.Value):0} ms");
            for (int i = 0; i < Clients; i++)
            {
                output.WriteLine($"{pushers[i].Describe()} (sent {pushers[i].Sent - sentAtKill[i]} after the kill)");
            }

            Assert.All(pushers, p => Assert.False(p.Broken, p.Describe()));

            // On the new master each list holds 1..N exactly once and in order: the execution order of each client's
            // writes is the order it sent them, held or not.
            await using var direct = await topology.ServerAt(newMaster!).ConnectAsync();
            var disorder = new List<string>();
            foreach (var (pusher, index) in pushers.Select((p, i) => (p, i)))
            {
                var list = await direct.CommandAsync("LRANGE", pusher.Key, "0", "-1");
                var values = list.Items!.Select(item => long.Parse(item.Text!, CultureInfo.InvariantCulture)).ToArray();
                Assert.Equal(pusher.Sent, values.Length);
                Assert.Equal(pusher.Sent, values.Distinct().Count());
                int first = Enumerable.Range(0, values.Length).FirstOrDefault(i => values[i] != i + 1, -1);
                if (first >= 0)
                {
                    disorder.Add(
                        $"client {index}: RPUSHes {sentAtKill[index] + 1}..{pusher.Sent} were sent after the kill, yet the list reads " +
                        $"...{string.Join(",", values.Skip(Math.Max(0, first - 3)).Take(3))},[{string.Join(",", values.Skip(first).Take(10))}],{string.Join(",", values.Skip(first + 10).Take(5))}... " +
                        $"(element {first} is {values[first]}, expected {first + 1})");
                }
            }

            Assert.True(
                disorder.Count == 0,
                "Writes held during the failover and the same client's later writes ran out of order on the new master:" + Environment.NewLine + string.Join(Environment.NewLine, disorder));
            Assert.All(pushers, p => Assert.Empty(p.Problems));
        }
        finally
        {
            foreach (var pusher in pushers)
            {
                await pusher.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Writes_held_longer_than_the_hold_bound_get_TRYAGAIN_no_sooner_and_never_run()
    {
        // A failover takes about 2 s here: with a 600 ms bound, writes during the outage expire from the hold.
        const int HoldMs = 600;
        await using var topology = await SentinelTopology.StartAsync();
        await using var proxy = await SentinelProxy.StartAsync(topology, $"--Topology:HoldWritesMs={HoldMs}");
        var oldMaster = topology.InitialMaster;
        var counterKey = $"hold-bound:{Guid.NewGuid():N}:counter";

        // Strict +1 per acknowledged INCR: an expired request that still ran later would show up as a jump.
        await using var writer = await TrafficLoop.StartIncrAsync("writer (INCR)", proxy, counterKey);
        await Wait.UntilAsync(() => writer.OkCount >= 30 || writer.Broken, TimeSpan.FromSeconds(15), "writes before the kill", writer.Describe);
        long killedAt = await Failover.KillMasterBetweenWritesAsync(topology, oldMaster, proxy, writer);
        string? newMaster = null;
        await Wait.UntilAsync(
            async () =>
            {
                newMaster = await topology.MasterFromSentinelsAsync();
                return (newMaster is not null && newMaster != oldMaster.EndPoint && proxy.PublishedMaster(topology.MasterName) == newMaster
                    && writer.OkSentAfter(proxy.PublishedAt(topology.MasterName, newMaster)!.Value) >= 30) || writer.Broken;
            },
            FailoverDeadline,
            "the failover, then 30 acknowledged writes",
            () => writer.Describe() + Environment.NewLine + proxy.Describe());
        await writer.StopAsync();

        long publishedAt = proxy.PublishedAt(topology.MasterName, newMaster!)!.Value;
        var expired = writer.Failures;
        output.WriteLine($"kill -> new master published: {Ms(killedAt, publishedAt):0} ms; {expired.Count} writes answered with an error, after " +
            string.Join(", ", expired.Select(f => f.Latency.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture))) + " ms");
        foreach (var failure in expired)
        {
            output.WriteLine($"  sent at kill+{Ms(killedAt, failure.SentAt):0} ms, answered after {failure.Latency.TotalMilliseconds:0} ms: {failure.Problem}");
        }

        Assert.False(writer.Broken, writer.Describe());
        Assert.NotEmpty(expired); // the outage outlasted the bound, so some writes must have expired
        Assert.All(expired, failure =>
        {
            Assert.StartsWith("TRYAGAIN", failure.Reply?.Text, StringComparison.Ordinal);
            Assert.True(failure.Latency >= TimeSpan.FromMilliseconds(HoldMs - 20), $"answered -TRYAGAIN after only {failure.Latency.TotalMilliseconds:0} ms (bound {HoldMs} ms)");
            // Expiry runs on a 20 ms timer; the slack is for a CPU-starved CI machine (up to 1.3 s seen under full load).
            Assert.True(failure.Latency < TimeSpan.FromMilliseconds(HoldMs + 1500), $"answered -TRYAGAIN only after {failure.Latency.TotalMilliseconds:0} ms (bound {HoldMs} ms)");
            Assert.True(failure.SentAt < publishedAt, "a write sent after the new master was published failed");
        });

        // None of the expired INCRs ran: the counter on the new master counts exactly the acknowledged ones.
        Assert.Equal(writer.OkCount, writer.LastCounter);
        await using var direct = await topology.ServerAt(newMaster!).ConnectAsync();
        Assert.Equal(writer.LastCounter.ToString(CultureInfo.InvariantCulture), (await direct.CommandAsync("GET", counterKey)).Text);
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
