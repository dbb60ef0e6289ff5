using System.Collections.Immutable;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

public sealed partial class SentinelWatcher
{
    /// <summary>
    /// Probes in parallel (ROLE on each group's chosen master, PING + INFO replication on each replica the sentinels
    /// consider healthy), then decides each group's master and replica readability: the state to publish.
    /// </summary>
    private async Task<Dictionary<string, GroupState>> ProbeAndGateAsync(
        Dictionary<string, GroupConsensus?> decisions, CancellationToken cancellationToken)
    {
        var prober = _prober!;
        var roleProbes = new Dictionary<string, Task<ProbeResult<RoleInfo>>>(StringComparer.Ordinal);
        var replicaProbes = new Dictionary<ServerEndpoint, Task<ProbeResult<ReplicationInfo>>>();
        foreach (var (group, consensus) in decisions)
        {
            if (consensus is null)
            {
                continue;
            }

            if (!consensus.MasterObjectivelyDown)
            {
                roleProbes[group] = prober.RoleAsync(consensus.Master, cancellationToken);
            }

            // Replicas the sentinels already rule out are not asked: they are unreadable either way, and a dead host
            // would only cost this refresh a timeout. One whose only problem is the link to a failed master is asked:
            // it may keep serving reads through the failover (ReplicaGate).
            foreach (var replica in consensus.Replicas.Where(replica => replica.SentinelProblem is null || replica.OnlyMasterLinkDown))
            {
                if (!replicaProbes.ContainsKey(replica.Endpoint))
                {
                    replicaProbes[replica.Endpoint] = prober.ReplicationAsync(replica.Endpoint, cancellationToken);
                }
            }
        }

        await Task.WhenAll(roleProbes.Values.Cast<Task>().Concat(replicaProbes.Values)).ConfigureAwait(false);

        var current = _holder.Current;
        var states = new Dictionary<string, GroupState>(StringComparer.Ordinal);
        var inUse = new HashSet<ServerEndpoint>();
        foreach (var (group, consensus) in decisions)
        {
            var published = current.Groups.FirstOrDefault(g => g.Name == group);
            if (consensus is null)
            {
                // Nobody reachable can tell: keep what was published, as when every sentinel is down.
                states[group] = published is null ? GroupState.Unknown : new GroupState(published.Master, published.Replicas);
                continue;
            }

            var role = roleProbes.TryGetValue(group, out var roleProbe) ? roleProbe.Result : null;
            var master = ConfirmMaster(group, consensus, role, published?.Master);
            long? masterOffset = role?.Value is { IsMaster: true } info ? info.Offset : null;
            // Sentinel needs down-after-milliseconds to call a dead master o_down; an unanswered ROLE tells at once.
            bool masterFailed = master is null || consensus.MasterObjectivelyDown || role?.Value is null;
            var replicas = ImmutableArray.CreateBuilder<ServerNode>(consensus.Replicas.Count);
            foreach (var verdict in consensus.Replicas)
            {
                var probe = replicaProbes.TryGetValue(verdict.Endpoint, out var replicaProbe) ? replicaProbe.Result : null;
                bool wasReadable = published?.Replicas.Any(replica => replica.Endpoint == verdict.Endpoint && replica.Readable) == true;
                var decision = ReplicaGate.Evaluate(verdict, probe, masterOffset, MaxReplicaLagBytes, masterFailed && wasReadable);
                var node = new ServerNode(verdict.Endpoint, ServerRole.Replica, _dataCenters.Resolve(verdict.Endpoint), decision.Readable);
                NoteReadability(group, published, node, decision.Reason);
                replicas.Add(node);
                inUse.Add(verdict.Endpoint);
            }

            inUse.Add(consensus.Master);
            states[group] = new GroupState(master, replicas.ToImmutable());
        }

        await prober.ForgetAllExceptAsync(inUse).ConfigureAwait(false);
        return states;
    }

    /// <summary>
    /// The master to publish for a group. A new master must answer ROLE "master" first; a master the sentinels call
    /// o_down is withdrawn (a failover is due, writes should wait for its result). The already published master is
    /// kept through a failed probe (one slow answer must not stop all writes) but not when it says it is a replica.
    /// </summary>
    private ServerNode? ConfirmMaster(string group, GroupConsensus consensus, ProbeResult<RoleInfo>? role, ServerNode? published)
    {
        string? pending;
        if (consensus.MasterObjectivelyDown)
        {
            pending = "sentinels report it o_down";
        }
        else if (role?.Value is { } answer)
        {
            pending = answer.IsMaster ? null : $"it answers ROLE {answer.Role}";
        }
        else
        {
            pending = published?.Endpoint == consensus.Master ? null : $"ROLE failed: {role?.Error}";
        }

        if (pending is not null)
        {
            NoteGroup(group + MasterNote, $"{consensus.Master} {pending}", () => Log.MasterUnconfirmed(_logger, group, consensus.Master, pending));
            return null;
        }

        _groupNotes.Remove(group + MasterNote);

        return new ServerNode(consensus.Master, ServerRole.Master, _dataCenters.Resolve(consensus.Master));
    }

    private void NoteReadability(string group, ShardGroup? published, ServerNode node, string reason)
    {
        var before = published?.Replicas.FirstOrDefault(replica => replica.Endpoint == node.Endpoint);
        if (node.Readable && before is { Readable: false })
        {
            Log.ReplicaReadable(_logger, group, node.Endpoint);
        }
        else if (!node.Readable && before?.Readable != false)
        {
            Log.ReplicaNotReadable(_logger, group, node.Endpoint, reason);
        }
    }
}
