using RespProxy.Topology.Model;
using RespProxy.Topology.Sentinel;
using Xunit;

namespace RespProxy.Topology.Tests.Sentinel;

public sealed class SentinelConsensusTests
{
    private static readonly ServerEndpoint OldMaster = new("127.0.0.1", 6379);
    private static readonly ServerEndpoint NewMaster = new("127.0.1.1", 6380);
    private static readonly ServerEndpoint OtherReplica = new("127.0.2.1", 6381);

    private static SentinelGroupView View(
        int sentinel, ServerEndpoint master, long epoch, SentinelInstanceFlags masterFlags = SentinelInstanceFlags.Master,
        ServerEndpoint? describedMaster = null, params SentinelReplicaInfo[] replicas) =>
        new(new ServerEndpoint("127.0.0.1" + sentinel, 26379), master, new SentinelMasterInfo("g1", describedMaster ?? master, masterFlags, epoch), replicas);

    private static SentinelReplicaInfo Replica(ServerEndpoint endpoint, SentinelInstanceFlags flags = SentinelInstanceFlags.Replica, string link = "ok") =>
        new(endpoint, flags, link, 100, 0);

    [Fact]
    public void No_views_means_no_answer()
    {
        Assert.Null(SentinelConsensus.Decide([]));
    }

    [Fact]
    public void Unanimous_answer_is_taken()
    {
        var result = SentinelConsensus.Decide([View(1, OldMaster, 0), View(2, OldMaster, 0), View(3, OldMaster, 0)])!;

        Assert.Equal(OldMaster, result.Master);
        Assert.Equal(3, result.Agreeing);
        Assert.Null(result.Disagreement);
    }

    [Fact]
    public void Majority_wins_among_equal_epochs()
    {
        var result = SentinelConsensus.Decide([View(1, NewMaster, 3), View(2, OldMaster, 3), View(3, OldMaster, 3)])!;

        Assert.Equal(OldMaster, result.Master);
        Assert.Equal(2, result.Agreeing);
        Assert.Equal(3, result.Reporting);
        Assert.NotNull(result.Disagreement);
    }

    [Fact]
    public void Highest_config_epoch_wins_a_disagreement()
    {
        // The failover leader already knows the promoted replica; the others still repeat the old address.
        var result = SentinelConsensus.Decide([View(1, OldMaster, 4), View(2, NewMaster, 5), View(3, OldMaster, 4)])!;

        Assert.Equal(NewMaster, result.Master);
        Assert.Equal(5, result.ConfigEpoch);
        Assert.Equal(1, result.Agreeing);
    }

    [Fact]
    public void O_down_counts_only_for_the_chosen_address()
    {
        var odown = SentinelInstanceFlags.Master | SentinelInstanceFlags.ObjectivelyDown;

        var stillOld = SentinelConsensus.Decide([View(1, OldMaster, 4, odown), View(2, OldMaster, 4)])!;
        var promoted = SentinelConsensus.Decide([View(1, NewMaster, 5, odown, describedMaster: OldMaster)])!;

        Assert.True(stillOld.MasterObjectivelyDown);
        Assert.False(promoted.MasterObjectivelyDown);
    }

    [Fact]
    public void Replicas_are_merged_and_the_master_is_left_out()
    {
        var result = SentinelConsensus.Decide([
            View(1, NewMaster, 5, replicas: [Replica(NewMaster), Replica(OtherReplica)]),
            View(2, NewMaster, 5, replicas: [Replica(OtherReplica), Replica(OldMaster, SentinelInstanceFlags.Replica | SentinelInstanceFlags.SubjectivelyDown)]),
        ])!;

        Assert.Equal([OtherReplica, OldMaster], result.Replicas.Select(r => r.Endpoint));
        Assert.Null(result.Replicas[0].SentinelProblem);
        Assert.Equal("sentinel flags s_down", result.Replicas[1].SentinelProblem);
    }

    [Fact]
    public void A_replica_is_ruled_out_when_half_of_the_sentinels_listing_it_see_a_problem()
    {
        var disconnected = Replica(OtherReplica, SentinelInstanceFlags.Replica | SentinelInstanceFlags.Disconnected);
        var linkDown = Replica(OtherReplica, link: "err");

        var oneOfThree = SentinelConsensus.Decide([
            View(1, OldMaster, 1, replicas: [disconnected]), View(2, OldMaster, 1, replicas: [Replica(OtherReplica)]), View(3, OldMaster, 1, replicas: [Replica(OtherReplica)]),
        ])!;
        var twoOfThree = SentinelConsensus.Decide([
            View(1, OldMaster, 1, replicas: [disconnected]), View(2, OldMaster, 1, replicas: [linkDown]), View(3, OldMaster, 1, replicas: [Replica(OtherReplica)]),
        ])!;
        var onlyOne = SentinelConsensus.Decide([View(1, OldMaster, 1, replicas: [linkDown])])!;

        Assert.Null(oneOfThree.Replicas[0].SentinelProblem);
        Assert.Equal("sentinel flags disconnected", twoOfThree.Replicas[0].SentinelProblem);
        Assert.Equal("sentinel master-link-status err", onlyOne.Replicas[0].SentinelProblem);
    }
}
