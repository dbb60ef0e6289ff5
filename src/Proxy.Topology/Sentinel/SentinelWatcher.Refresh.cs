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
        var runIds = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < links.Length; i++)
        {
            NoteReachability(links[i], wasReachable[i], answers[i]);
            // One sentinel known under two addresses (configured by name, discovered by IP) answers twice: count it once.
            if (answers[i] is { } answer && (answer.RunId is null || runIds.Add(answer.RunId)))
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
            foreach (var (peer, runId) in answer.Peers)
            {
                if (_links.TrueForAll(link => link.Endpoint != peer && (runId is null || link.RunId != runId)))
                {
                    Log.SentinelDiscovered(_logger, peer, answer.Sentinel);
                    AddLink(peer, _stop!.Token);
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

    /// <summary>Logs a condition once per distinct value of it, not on every poll.</summary>
    private void NoteGroup(string key, string condition, Action log)
    {
        if (_groupNotes.GetValueOrDefault(key) != condition)
        {
            _groupNotes[key] = condition;
            log();
        }
    }

}
