using RespProxy.Topology.Config;
using RespProxy.Topology.Model;
using RespProxy.Topology.Sentinel;
using Xunit;

namespace RespProxy.Topology.Tests.Sentinel;

public sealed class SnapshotDiffTests
{
    private static readonly ServerEndpoint A = new("127.0.0.1", 6379);
    private static readonly ServerEndpoint B = new("127.0.1.1", 6380);
    private static readonly ServerEndpoint C = new("127.0.2.1", 6381);

    private static readonly SnapshotBuilder Builder = new([
        new GroupOptions { Name = "g1", Slots = "0-8191" },
        new GroupOptions { Name = "g2", Slots = "8192-16383" },
    ]);

    private static ServerNode Master(ServerEndpoint endpoint) => new(endpoint, ServerRole.Master, "main");

    private static ServerNode Replica(ServerEndpoint endpoint, bool readable = true, string? dc = "east") => new(endpoint, ServerRole.Replica, dc, readable);

    private static TopologySnapshot Snapshot(long version, ServerNode? master, params ServerNode[] replicas) =>
        Builder.Build(version, new Dictionary<string, GroupState> { ["g1"] = new(master, [.. replicas]) });

    [Fact]
    public void Builder_makes_one_group_per_configured_name_with_its_slots()
    {
        var snapshot = Snapshot(3, Master(A), Replica(C), Replica(B));

        Assert.Equal(3, snapshot.Version);
        Assert.Equal(TopologyMode.Sentinel, snapshot.Mode);
        Assert.Equal(["g1", "g2"], snapshot.Groups.Select(g => g.Name));
        Assert.Equal([new SlotRange(0, 8191)], snapshot.Groups[0].Slots.ToArray());
        Assert.Equal("g2", snapshot.GroupForSlot(16000).Name);
        Assert.Null(snapshot.Groups[1].Master);
        Assert.Empty(snapshot.Groups[1].Replicas);
        Assert.Equal([B, C], snapshot.Groups[0].Replicas.Select(r => r.Endpoint)); // sorted, whatever the input order
    }

    [Fact]
    public void Same_content_is_equivalent_whatever_the_version_and_replica_order()
    {
        Assert.True(SnapshotDiff.AreEquivalent(Snapshot(1, Master(A), Replica(B), Replica(C)), Snapshot(2, Master(A), Replica(C), Replica(B))));
        Assert.Empty(SnapshotDiff.Describe(Snapshot(1, Master(A), Replica(B)), Snapshot(2, Master(A), Replica(B))));
    }

    [Fact]
    public void Master_change_is_a_difference()
    {
        var before = Snapshot(1, Master(A), Replica(B));
        var after = Snapshot(2, null, Replica(B));

        Assert.False(SnapshotDiff.AreEquivalent(before, after));
        Assert.Equal(["g1: master 127.0.0.1:6379 [main] -> (none)"], SnapshotDiff.Describe(before, after));
    }

    [Fact]
    public void Readability_and_datacenter_changes_are_differences()
    {
        var before = Snapshot(1, Master(A), Replica(B));

        Assert.False(SnapshotDiff.AreEquivalent(before, Snapshot(2, Master(A), Replica(B, readable: false))));
        Assert.False(SnapshotDiff.AreEquivalent(before, Snapshot(2, Master(A), Replica(B, dc: "west"))));
        Assert.Equal(
            ["g1: ~ replica 127.0.1.1:6380 [east, readable] -> 127.0.1.1:6380 [east, not readable]"],
            SnapshotDiff.Describe(before, Snapshot(2, Master(A), Replica(B, readable: false))));
    }

    [Fact]
    public void Added_and_removed_replicas_are_listed()
    {
        var before = Snapshot(1, Master(A), Replica(B));
        var after = Snapshot(2, Master(A), Replica(C, dc: null));

        Assert.Equal(
            ["g1: + replica 127.0.2.1:6381 [no dc, readable]", "g1: - replica 127.0.1.1:6380 [east, readable]"],
            SnapshotDiff.Describe(before, after));
    }

    [Fact]
    public void A_failover_reads_as_master_swap_plus_replica_changes()
    {
        var before = Snapshot(1, Master(A), Replica(B), Replica(C));
        var after = Snapshot(2, Master(B), Replica(A, readable: false, dc: "main"), Replica(C));

        var lines = SnapshotDiff.Describe(before, after);

        Assert.Contains("g1: master 127.0.0.1:6379 [main] -> 127.0.1.1:6380 [main]", lines);
        Assert.Contains("g1: + replica 127.0.0.1:6379 [main, not readable]", lines);
        Assert.Contains("g1: - replica 127.0.1.1:6380 [east, readable]", lines);
        Assert.Equal(3, lines.Count);
    }

    [Fact]
    public void Mode_or_group_set_differences_count()
    {
        var standalone = new TopologySnapshot(1, TopologyMode.Standalone, [new ShardGroup("x", Master(A), [], [new SlotRange(0, 16383)])]);
        var sentinel = Snapshot(2, Master(A));

        Assert.False(SnapshotDiff.AreEquivalent(standalone, sentinel));
        Assert.Contains("mode Standalone -> Sentinel", SnapshotDiff.Describe(standalone, sentinel));
        Assert.Contains("x: removed", SnapshotDiff.Describe(standalone, sentinel));
    }

    [Fact]
    public void Initial_snapshot_has_every_group_and_no_servers()
    {
        var options = new TopologyOptions { Mode = TopologyMode.Sentinel, Groups = [new GroupOptions { Name = "g1" }] };

        var snapshot = SentinelWatcher.CreateInitialSnapshot(options);

        Assert.Equal(0, snapshot.Version);
        var group = Assert.Single(snapshot.Groups);
        Assert.Null(group.Master);
        Assert.Empty(group.Replicas);
        Assert.False(group.Replicas.IsDefault);
    }
}
