using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>How the reachable sentinels see one replica, merged over those that agree on the master.</summary>
/// <param name="SentinelProblem">Null when sentinels consider it usable, else why not ("s_down", "master-link-status err").</param>
/// <param name="OnlyMasterLinkDown">Every sentinel reporting a problem reports only the replica's master link down.</param>
internal sealed record ReplicaVerdict(ServerEndpoint Endpoint, string? SentinelProblem, bool OnlyMasterLinkDown = false);

/// <summary>The master one group gets after comparing sentinels, and the replicas those sentinels report.</summary>
/// <param name="Master">The chosen master address (not yet confirmed with ROLE).</param>
/// <param name="ConfigEpoch">Its config-epoch (-1 when no SENTINEL MASTER reply carried one).</param>
/// <param name="MasterObjectivelyDown">A sentinel backing this master reports it o_down: a failover is due.</param>
/// <param name="Agreeing">Sentinels naming this master.</param>
/// <param name="Reporting">Reachable sentinels that answered for the group at all.</param>
/// <param name="Disagreement">Null when all agree, else a description of the competing answers.</param>
internal sealed record GroupConsensus(
    ServerEndpoint Master,
    long ConfigEpoch,
    bool MasterObjectivelyDown,
    IReadOnlyList<ReplicaVerdict> Replicas,
    int Agreeing,
    int Reporting,
    string? Disagreement);

/// <summary>
/// Chooses a group's master from what the reachable sentinels say. When they agree that is the answer; when they
/// disagree the answer with the highest config-epoch wins (a sentinel that saw a failover complete carries the new
/// epoch while the others still repeat the old address), and among answers of equal epoch the one most sentinels
/// give; a remaining tie goes to the answer of the earliest sentinel in configuration order.
/// </summary>
internal static class SentinelConsensus
{
    public static GroupConsensus? Decide(IReadOnlyList<SentinelGroupView> views)
    {
        if (views.Count == 0)
        {
            return null;
        }

        var candidates = views
            .GroupBy(view => view.MasterAddress)
            .Select(answer => (Address: answer.Key, Views: answer.ToArray(), Epoch: answer.Max(view => view.ConfigEpoch)))
            .ToArray();

        // OrderBy is stable, so equal candidates stay in first-appearance (configuration) order.
        var best = candidates.OrderByDescending(c => c.Epoch).ThenByDescending(c => c.Views.Length).First();
        string? disagreement = candidates.Length == 1
            ? null
            : string.Join("; ", candidates.Select(c => $"{c.Address} (epoch {c.Epoch}) from {string.Join(", ", c.Views.Select(v => v.Sentinel))}"));

        // During a failover the leader already names the promoted replica while its SENTINEL MASTER still describes
        // the old (o_down) master: the flag only counts when it is about the address chosen here.
        bool objectivelyDown = best.Views.Any(view =>
            view.Master is { } master
            && master.Flags.HasFlag(SentinelInstanceFlags.ObjectivelyDown)
            && (master.Endpoint is null || master.Endpoint == best.Address));
        return new GroupConsensus(
            best.Address, best.Epoch, objectivelyDown, MergeReplicas(best.Address, best.Views), best.Views.Length, views.Count, disagreement);
    }

    /// <summary>
    /// Union of the replicas the agreeing sentinels list (minus the master itself). A replica counts as unusable when
    /// at least half of the sentinels listing it report it down, disconnected or with its master link not "ok": one
    /// sentinel with a private network problem does not gate reads, a real outage (seen by all) does.
    /// </summary>
    private static ReplicaVerdict[] MergeReplicas(ServerEndpoint master, SentinelGroupView[] views)
    {
        var merged = new Dictionary<ServerEndpoint, (int Listing, int Bad, string? Problem, bool LinkOnly)>();
        var order = new List<ServerEndpoint>();
        foreach (var view in views)
        {
            foreach (var replica in view.Replicas)
            {
                if (replica.Endpoint == master)
                {
                    continue;
                }

                if (!merged.TryGetValue(replica.Endpoint, out var tally))
                {
                    order.Add(replica.Endpoint);
                }

                string? problem = Problem(replica);
                bool linkOnly = problem is null || (replica.Flags & SentinelInstanceFlags.Unhealthy) == SentinelInstanceFlags.None;
                bool linkOnlySoFar = tally.Listing == 0 || tally.LinkOnly;
                merged[replica.Endpoint] = (tally.Listing + 1, tally.Bad + (problem is null ? 0 : 1), tally.Problem ?? problem, linkOnlySoFar && linkOnly);
            }
        }

        return order
            .Select(endpoint =>
            {
                var tally = merged[endpoint];
                bool bad = tally.Bad * 2 >= tally.Listing;
                return new ReplicaVerdict(endpoint, bad ? tally.Problem : null, bad && tally.LinkOnly);
            })
            .ToArray();
    }

    private static string? Problem(SentinelReplicaInfo replica)
    {
        var unhealthy = replica.Flags & SentinelInstanceFlags.Unhealthy;
        if (unhealthy != SentinelInstanceFlags.None)
        {
            return "sentinel flags " + SentinelInstanceFlagsParser.DescribeUnhealthy(unhealthy);
        }

        if (!string.Equals(replica.MasterLinkStatus, "ok", StringComparison.Ordinal))
        {
            return $"sentinel master-link-status {(replica.MasterLinkStatus.Length == 0 ? "unknown" : replica.MasterLinkStatus)}";
        }

        return null;
    }
}
