using RespProxy.Topology.Model;
using RespProxy.Topology.Sentinel;
using Xunit;

namespace RespProxy.Topology.Tests.Sentinel;

public sealed class ReplicaGateTests
{
    private static readonly ReplicaVerdict Healthy = new(new ServerEndpoint("127.0.1.1", 6380), null);

    private static ProbeResult<ReplicationInfo> Probe(
        string role = "slave", string? link = "up", long? offset = 1000, bool sync = false, bool loading = false) =>
        new(new ReplicationInfo(role, link, offset, null, sync, loading), null);

    [Fact]
    public void A_linked_replica_is_readable()
    {
        Assert.True(ReplicaGate.Evaluate(Healthy, Probe(), masterOffset: 1000, maxLagBytes: null).Readable);
    }

    [Fact]
    public void Sentinel_problems_rule_a_replica_out_before_any_probe()
    {
        var decision = ReplicaGate.Evaluate(Healthy with { SentinelProblem = "sentinel flags s_down" }, Probe(), 1000, null);

        Assert.False(decision.Readable);
        Assert.Equal("sentinel flags s_down", decision.Reason);
    }

    [Fact]
    public void Unreachable_loading_or_unlinked_replicas_are_not_readable()
    {
        Assert.False(ReplicaGate.Evaluate(Healthy, null, 1000, null).Readable);
        Assert.False(ReplicaGate.Evaluate(Healthy, ProbeResult<ReplicationInfo>.Failed("connection refused"), 1000, null).Readable);
        Assert.False(ReplicaGate.Evaluate(Healthy, new ProbeResult<ReplicationInfo>(ReplicationInfo.LoadingServer, null), 1000, null).Readable);
        Assert.False(ReplicaGate.Evaluate(Healthy, Probe(link: "down"), 1000, null).Readable);
        Assert.False(ReplicaGate.Evaluate(Healthy, Probe(sync: true), 1000, null).Readable);
        Assert.False(ReplicaGate.Evaluate(Healthy, Probe(role: "master", link: null), 1000, null).Readable);
    }

    [Theory]
    [InlineData(10_000L, 9_000L, 1_000L, true)]
    [InlineData(10_000L, 8_999L, 1_000L, false)]
    [InlineData(10_000L, 10_500L, 0L, true)] // read a moment later than the master: ahead is no lag
    public void Lag_limit_applies_when_configured(long master, long replica, long limit, bool readable)
    {
        Assert.Equal(readable, ReplicaGate.Evaluate(Healthy, Probe(offset: replica), master, limit).Readable);
        Assert.True(ReplicaGate.Evaluate(Healthy, Probe(offset: 0), master, maxLagBytes: null).Readable);
    }
}
