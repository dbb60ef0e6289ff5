using System.Diagnostics;
using RespProxy.TestSupport;
using RespProxy.Topology.Model;
using Xunit;
using Xunit.Abstractions;

namespace RespProxy.Topology.Tests.Sentinel.Integration;

public sealed class SentinelFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan SwitchBudget = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Killing_the_master_publishes_a_role_confirmed_former_replica()
    {
        await using var cluster = await SentinelTestCluster.StartAsync();
        await using var harness = await WatcherHarness.StartAsync(cluster.Options(), output);
        var oldMaster = SentinelTestCluster.EndpointOf(cluster.Master);
        Assert.Equal(oldMaster, harness.Group.Master?.Endpoint);

        var clock = new Stopwatch();
        var switched = new TaskCompletionSource<(string Group, ServerEndpoint? Old, ServerEndpoint New, TimeSpan At)>(
            TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Watcher.MasterSwitched += (group, old, next) => switched.TrySetResult((group, old, next, clock.Elapsed));
        TimeSpan? masterWithdrawnAt = null;
        harness.Holder.Changed += (_, next) =>
        {
            if (next.Groups[0].Master is null)
            {
                masterWithdrawnAt ??= clock.Elapsed;
            }
        };

        clock.Start();
        await cluster.Master.KillAsync(); // SIGKILL by PID
        await Wait.UntilAsync(() => switched.Task.IsCompleted, SwitchBudget + TimeSpan.FromSeconds(5), "MasterSwitched", cluster.Diagnostics);
        var (groupName, old, newMaster, at) = await switched.Task;
        harness.Logger.WriteLine($"kill -> master withdrawn: {masterWithdrawnAt?.TotalMilliseconds:0} ms; kill -> switch published: {at.TotalMilliseconds:0} ms");

        Assert.Equal(SentinelTestCluster.Group, groupName);
        Assert.Equal(oldMaster, old);
        Assert.Contains(newMaster, new[] { SentinelTestCluster.EndpointOf(cluster.EastReplica), SentinelTestCluster.EndpointOf(cluster.WestReplica) });
        Assert.True(at <= SwitchBudget, $"switch published {at.TotalSeconds:0.0} s after the kill");

        // The published master is the one the event named, and it really is a master.
        Assert.Equal(newMaster, harness.Group.Master?.Endpoint);
        Assert.Equal(newMaster.Host == "127.0.1.1" ? "east" : "west", harness.Group.Master?.DataCenter);
        await using (var client = await RawRespClient.ConnectAsync(newMaster.Host, newMaster.Port))
        {
            var role = await client.CommandAsync("ROLE");
            Assert.Equal("master", role.Items?[0].Text);
        }

        // Only the old and the new master were ever published (null in between while unconfirmed).
        var published = harness.Published.Select(s => s.Groups[0].Master?.Endpoint).OfType<ServerEndpoint>().Distinct().ToArray();
        Assert.Equal([oldMaster, newMaster], published);

        await Wait.UntilAsync(
            () => harness.Watcher.LastSwitchMasterEventAt(SentinelTestCluster.Group) is not null,
            TimeSpan.FromSeconds(10), "a +switch-master event", harness.Describe);

        // The old master stays listed but takes no reads; the other replica follows the new master and is readable.
        var otherReplica = newMaster == SentinelTestCluster.EndpointOf(cluster.EastReplica)
            ? SentinelTestCluster.EndpointOf(cluster.WestReplica)
            : SentinelTestCluster.EndpointOf(cluster.EastReplica);
        await Wait.UntilAsync(
            () => harness.Replica(otherReplica)?.Readable == true && harness.Replica(oldMaster)?.Readable == false,
            TimeSpan.FromSeconds(15), "the remaining replica readable under the new master, the old master not", harness.Describe);
        Assert.DoesNotContain(harness.Group.Replicas, r => r.Endpoint == newMaster);
        Assert.False(harness.Watcher.AllSentinelsDown);
    }
}
