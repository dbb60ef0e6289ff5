using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>What one sentinel said about one group in one refresh.</summary>
/// <param name="Sentinel">Who said it.</param>
/// <param name="MasterAddress">SENTINEL GET-MASTER-ADDR-BY-NAME (during a failover this is already the promoted replica).</param>
/// <param name="Master">SENTINEL MASTER, or null when that command failed.</param>
/// <param name="Replicas">SENTINEL REPLICAS (empty when that command failed).</param>
internal sealed record SentinelGroupView(
    ServerEndpoint Sentinel, ServerEndpoint MasterAddress, SentinelMasterInfo? Master, IReadOnlyList<SentinelReplicaInfo> Replicas)
{
    public long ConfigEpoch => Master?.ConfigEpoch ?? -1;
}

/// <summary>Everything one reachable sentinel answered in one refresh.</summary>
/// <param name="RunId">The sentinel's run id (INFO server), null when unknown; the same sentinel reached at two
/// addresses has one run id and must count once.</param>
internal sealed record SentinelAnswer(
    ServerEndpoint Sentinel,
    string? RunId,
    IReadOnlyDictionary<string, SentinelGroupView> Groups,
    IReadOnlyList<SentinelPeer> Peers,
    IReadOnlyList<string> Problems);

/// <summary>
/// The per-refresh question to a sentinel, pipelined as one batch: for each group GET-MASTER-ADDR-BY-NAME, MASTER,
/// REPLICAS and SENTINELS (discovery of further sentinels).
/// </summary>
internal static class SentinelQueries
{
    private const int CommandsPerGroup = 4;

    public static IReadOnlyList<IReadOnlyList<string>> BuildBatch(IReadOnlyList<string> groupNames)
    {
        var batch = new List<IReadOnlyList<string>>(groupNames.Count * CommandsPerGroup);
        foreach (var name in groupNames)
        {
            batch.Add(["SENTINEL", "GET-MASTER-ADDR-BY-NAME", name]);
            batch.Add(["SENTINEL", "MASTER", name]);
            batch.Add(["SENTINEL", "REPLICAS", name]);
            batch.Add(["SENTINEL", "SENTINELS", name]);
        }

        return batch;
    }

    /// <summary>
    /// Reads the replies of <see cref="BuildBatch"/>. A group the sentinel does not know (or answers oddly) is left
    /// out with a problem noted; the sentinel still counts as reachable for the others.
    /// </summary>
    public static SentinelAnswer Interpret(ServerEndpoint sentinel, string? runId, IReadOnlyList<string> groupNames, IReadOnlyList<RespReply> replies)
    {
        if (replies.Count != groupNames.Count * CommandsPerGroup)
        {
            throw new ArgumentException($"Expected {groupNames.Count * CommandsPerGroup} replies, got {replies.Count}.", nameof(replies));
        }

        var groups = new Dictionary<string, SentinelGroupView>(StringComparer.Ordinal);
        var peers = new List<SentinelPeer>();
        var problems = new List<string>();
        for (int g = 0; g < groupNames.Count; g++)
        {
            string name = groupNames[g];
            int first = g * CommandsPerGroup;
            ServerEndpoint? address;
            try
            {
                address = SentinelReplyParser.ParseMasterAddress(replies[first]);
            }
            catch (FormatException ex)
            {
                problems.Add($"{name}: GET-MASTER-ADDR-BY-NAME {ex.Message}");
                continue;
            }

            if (address is null)
            {
                problems.Add($"{name}: not monitored by this sentinel");
                continue;
            }

            var master = Try(() => SentinelReplyParser.ParseMaster(replies[first + 1]), name, "MASTER", problems);
            var replicas = Try(() => SentinelReplyParser.ParseReplicas(replies[first + 2]), name, "REPLICAS", problems) ?? [];
            peers.AddRange(Try(() => SentinelReplyParser.ParsePeers(replies[first + 3]), name, "SENTINELS", problems) ?? []);
            groups[name] = new SentinelGroupView(sentinel, address, master, replicas);
        }

        return new SentinelAnswer(sentinel, runId, groups, peers.DistinctBy(peer => peer.Endpoint).ToArray(), problems);
    }

    private static T? Try<T>(Func<T> parse, string group, string command, List<string> problems)
        where T : class
    {
        try
        {
            return parse();
        }
        catch (FormatException ex)
        {
            problems.Add($"{group}: SENTINEL {command} {ex.Message}");
            return null;
        }
    }
}
