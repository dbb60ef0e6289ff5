using System.Collections.Immutable;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>Compares two snapshots by content (masters, replicas, datacenters, readability, slots) and describes the change.</summary>
internal static class SnapshotDiff
{
    public static bool AreEquivalent(TopologySnapshot a, TopologySnapshot b) =>
        a.Mode == b.Mode && AreEquivalent(a.Groups, b.Groups);

    public static bool AreEquivalent(ImmutableArray<ShardGroup> a, ImmutableArray<ShardGroup> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            ShardGroup x = a[i];
            ShardGroup y = b[i];
            if (x.Name != y.Name || x.Master != y.Master || !x.Replicas.SequenceEqual(y.Replicas) || !x.Slots.SequenceEqual(y.Slots))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One line per difference, e.g. "g1: master 127.0.0.1:6379 -> (none)", "g1: replica 127.0.1.1:6380 readable -> not readable".</summary>
    public static IReadOnlyList<string> Describe(TopologySnapshot previous, TopologySnapshot next)
    {
        var lines = new List<string>();
        if (previous.Mode != next.Mode)
        {
            lines.Add($"mode {previous.Mode} -> {next.Mode}");
        }

        var before = previous.Groups.ToDictionary(group => group.Name, StringComparer.Ordinal);
        foreach (var group in next.Groups)
        {
            if (!before.Remove(group.Name, out var old))
            {
                lines.Add($"{group.Name}: added, master {Describe(group.Master)}, {group.Replicas.Length} replica(s)");
                continue;
            }

            if (old.Master != group.Master)
            {
                lines.Add($"{group.Name}: master {Describe(old.Master)} -> {Describe(group.Master)}");
            }

            DescribeReplicas(group.Name, old, group, lines);
        }

        foreach (var removed in before.Keys)
        {
            lines.Add($"{removed}: removed");
        }

        return lines;
    }

    private static void DescribeReplicas(string group, ShardGroup old, ShardGroup current, List<string> lines)
    {
        var previous = old.Replicas.ToDictionary(node => node.Endpoint);
        foreach (var node in current.Replicas)
        {
            if (!previous.Remove(node.Endpoint, out var was))
            {
                lines.Add($"{group}: + replica {Describe(node)}");
            }
            else if (was != node)
            {
                lines.Add($"{group}: ~ replica {Describe(was)} -> {Describe(node)}");
            }
        }

        foreach (var gone in previous.Values)
        {
            lines.Add($"{group}: - replica {Describe(gone)}");
        }
    }

    private static string Describe(ServerNode? node) => node is null
        ? "(none)"
        : $"{node.Endpoint} [{node.DataCenter ?? "no dc"}{(node.Role == ServerRole.Replica ? node.Readable ? ", readable" : ", not readable" : "")}]";
}
