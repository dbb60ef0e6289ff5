namespace RespProxy.Topology.Sentinel;

/// <summary>Whether a replica may take reads, and why (for the log).</summary>
internal readonly record struct GateDecision(bool Readable, string Reason);

/// <summary>
/// Decides read eligibility of one replica. It must pass both what the sentinels report (not s_down / o_down /
/// disconnected, master-link-status "ok") and what the replica says itself (reachable, not loading, role slave,
/// master_link_status up, no sync in progress), plus the lag limit when one is set. A replica is re-admitted only
/// when all of that holds again, in particular once its own master link is up.
/// </summary>
internal static class ReplicaGate
{
    /// <param name="verdict">The sentinels' merged view of the replica.</param>
    /// <param name="probe">The replica's own PING + INFO replication; null when it was not asked (sentinels already rule it out).</param>
    /// <param name="masterOffset">The master's replication offset from this refresh, when known.</param>
    /// <param name="maxLagBytes">Largest master offset minus replica offset still readable; null for no limit.</param>
    /// <param name="masterFailed">
    /// The group's master is down (o_down, or no master confirmed) and this replica was readable until now: its link is
    /// down because its master died, not because it is behind or syncing, so it keeps the newest data the group has and
    /// keeps serving reads through the failover, as long as it answers, is not loading and does not resync.
    /// </param>
    public static GateDecision Evaluate(ReplicaVerdict verdict, ProbeResult<ReplicationInfo>? probe, long? masterOffset, long? maxLagBytes, bool masterFailed = false)
    {
        // Sentinel refreshes a replica's master-link-status from its INFO only every few seconds; the probe below asks
        // the replica itself, now. So a sentinel complaint about the link alone defers to the probe, which still
        // requires the link up (unless the master itself failed, see masterFailed).
        bool linkExcused = masterFailed && (verdict.SentinelProblem is null || verdict.OnlyMasterLinkDown);
        if (verdict.SentinelProblem is not null && !verdict.OnlyMasterLinkDown)
        {
            return new GateDecision(false, verdict.SentinelProblem);
        }

        if (probe is null)
        {
            return new GateDecision(false, "not probed");
        }

        if (probe.Value is not { } info)
        {
            return new GateDecision(false, "unreachable: " + probe.Error);
        }

        if (info.Loading)
        {
            return new GateDecision(false, "loading its dataset");
        }

        if (info.Role != "slave")
        {
            return new GateDecision(false, $"reports role {info.Role}");
        }

        if (info.MasterLinkStatus != "up" && !linkExcused)
        {
            return new GateDecision(false, $"master_link_status {info.MasterLinkStatus ?? "missing"}");
        }

        if (info.SyncInProgress)
        {
            return new GateDecision(false, "full sync in progress");
        }

        if (maxLagBytes is { } limit && masterOffset is { } master && info.ReplicaOffset is { } replica)
        {
            // The two offsets are read a moment apart, so a replica can appear ahead: that is no lag.
            long lag = Math.Max(0, master - replica);
            if (lag > limit)
            {
                return new GateDecision(false, $"lags {lag} bytes (limit {limit})");
            }
        }

        return new GateDecision(true, "ok");
    }
}
