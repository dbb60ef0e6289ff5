using System.Collections.Immutable;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

public sealed partial class SentinelWatcher
{
    private const string SentinelsNote = "|sentinels";
    private const string MasterNote = "|master";

    /// <summary>
    /// One refresh: ask the sentinels, decide each group, probe the servers, publish if anything changed. Only ever
    /// runs on one task at a time (the first one from StartAsync, then the loop). Holds no lock; waits only on I/O
    /// that has its own deadline.
    /// </summary>
    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var links = _links.ToArray();
        bool[] wasReachable = links.Select(link => link.Reachable).ToArray();
        var answers = await Task.WhenAll(links.Select(link => link.QueryAsync(_batch, _groupNames, cancellationToken))).ConfigureAwait(false);
        var reachable = new List<SentinelAnswer>(answers.Length);
        for (int i = 0; i < links.Length; i++)
        {
            NoteReachability(links[i], wasReachable[i], answers[i]);
            if (answers[i] is { } answer)
            {
                reachable.Add(answer);
            }
        }

        Volatile.Write(ref _reachableSentinels, reachable.Count);
        DiscoverSentinels(reachable);
        if (reachable.Count == 0)
        {
            OnAllSentinelsDown(links);
            return;
        }

        if (_allSentinelsDown)
        {
            _allSentinelsDown = false;
            Log.SentinelsRecovered(_logger, reachable.Count, links.Length);
        }

        var decisions = _groupNames.ToDictionary(
            name => name,
            name => DecideGroup(name, reachable.Select(answer => answer.Groups.GetValueOrDefault(name)).OfType<SentinelGroupView>().ToArray()),
            StringComparer.Ordinal);
        var states = await ProbeAndGateAsync(decisions, cancellationToken).ConfigureAwait(false);
        Publish(states);
    }

    private void NoteReachability(SentinelLink link, bool wasReachable, SentinelAnswer? answer)
    {
        if (answer is null)
        {
            if (link.LastError is { } error)
            {
                _lastError = $"sentinel {link.Endpoint}: {error}";
                if (wasReachable || !_everFailed.Contains(link.Endpoint))
                {
                    _everFailed.Add(link.Endpoint);
                    Log.SentinelUnreachable(_logger, link.Endpoint, error);
                }
            }

            return;
        }

        if (!wasReachable)
        {
            _everFailed.Remove(link.Endpoint);
            Log.SentinelReachable(_logger, link.Endpoint);
        }

        foreach (var problem in answer.Problems)
        {
            Log.SentinelProblem(_logger, link.Endpoint, problem);
        }
    }

    private void DiscoverSentinels(List<SentinelAnswer> answers)
    {
        foreach (var answer in answers)
        {
            foreach (var peer in answer.Peers)
            {
                if (_links.TrueForAll(link => link.Endpoint != peer))
                {
                    Log.SentinelDiscovered(_logger, peer, answer.Sentinel);
                    AddLink(peer, configured: false, _stop!.Token);
                    _signal.Request(); // ask it on the next round rather than waiting for the poll
                }
            }
        }
    }

    private void OnAllSentinelsDown(SentinelLink[] links)
    {
        string error = $"all {links.Length} sentinels unreachable: "
            + string.Join("; ", links.Select(link => $"{link.Endpoint}: {link.LastError ?? "waiting to retry"}"));
        _lastError = error;
        if (!_allSentinelsDown)
        {
            _allSentinelsDown = true;
            Log.AllSentinelsDown(_logger, links.Length, _holder.Current.Version, error);
        }
    }

    /// <summary>The sentinels' answer for one group (before probing), or null when no reachable sentinel reports it.</summary>
    private GroupConsensus? DecideGroup(string group, SentinelGroupView[] views)
    {
        var consensus = SentinelConsensus.Decide(views);
        if (consensus is null)
        {
            NoteGroup(group + SentinelsNote, "unknown", () => Log.GroupUnknown(_logger, group));
        }
        else if (consensus.Disagreement is { } disagreement)
        {
            NoteGroup(group + SentinelsNote, disagreement, () => Log.SentinelsDisagree(_logger, group, consensus.Master, consensus.ConfigEpoch, disagreement));
        }
        else
        {
            _groupNotes.Remove(group + SentinelsNote);
        }

        return consensus;
    }

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
            // would only cost this refresh a timeout.
            foreach (var replica in consensus.Replicas.Where(replica => replica.SentinelProblem is null))
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
            var replicas = ImmutableArray.CreateBuilder<ServerNode>(consensus.Replicas.Count);
            foreach (var verdict in consensus.Replicas)
            {
                var probe = replicaProbes.TryGetValue(verdict.Endpoint, out var replicaProbe) ? replicaProbe.Result : null;
                var decision = ReplicaGate.Evaluate(verdict, probe, masterOffset, MaxReplicaLagBytes);
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

    /// <summary>Logs a condition once per distinct value of it, not on every poll.</summary>
    private void NoteGroup(string key, string condition, Action log)
    {
        if (_groupNotes.GetValueOrDefault(key) != condition)
        {
            _groupNotes[key] = condition;
            log();
        }
    }

    private void Publish(Dictionary<string, GroupState> states)
    {
        var current = _holder.Current;
        var next = _builder.Build(current.Version + 1, states);
        if (SnapshotDiff.AreEquivalent(current, next))
        {
            return;
        }

        try
        {
            _holder.Publish(next);
        }
        catch (Exception ex)
        {
            // Publish swapped the snapshot before notifying; a throwing Changed handler must not stop the watcher.
            Log.HandlerFailed(_logger, "TopologyHolder.Changed", ex);
        }

        Log.TopologyPublished(_logger, next.Version, string.Join("; ", SnapshotDiff.Describe(current, next)));
        var publishedAt = _time.GetUtcNow();
        foreach (var group in next.Groups)
        {
            if (group.Master is not { } master || _confirmedMasters.GetValueOrDefault(group.Name) == master.Endpoint)
            {
                continue;
            }

            var previous = _confirmedMasters.GetValueOrDefault(group.Name);
            _confirmedMasters[group.Name] = master.Endpoint;
            long sinceEvent = _switchEvents.TryGetValue(group.Name, out var switchEvent) && switchEvent.NewMaster == master.Endpoint
                ? (long)(publishedAt - switchEvent.At).TotalMilliseconds
                : -1;
            if (previous is null)
            {
                Log.MasterConfirmed(_logger, group.Name, master.Endpoint);
            }
            else
            {
                Log.MasterSwitched(_logger, group.Name, previous, master.Endpoint, sinceEvent);
            }

            try
            {
                MasterSwitched?.Invoke(group.Name, previous, master.Endpoint);
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(_logger, nameof(MasterSwitched), ex);
            }
        }
    }
}
