using System.Collections.Immutable;
using RespProxy.Topology.Config;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>What the watcher decided for one group in one refresh: the confirmed master (or none) and the replicas.</summary>
internal sealed record GroupState(ServerNode? Master, ImmutableArray<ServerNode> Replicas)
{
    public static GroupState Unknown { get; } = new(null, []);
}

/// <summary>
/// Builds sentinel-mode snapshots: one <see cref="ShardGroup"/> per configured group, in configuration order, with
/// that group's slots. Replicas are sorted by address so equal topologies compare equal.
/// </summary>
internal sealed class SnapshotBuilder
{
    private readonly (string Name, ImmutableArray<SlotRange> Slots)[] _groups;

    public SnapshotBuilder(IReadOnlyList<GroupOptions> groups)
    {
        _groups = groups.Select(group => (group.Name, SlotRange.ParseList(group.Slots).ToImmutableArray())).ToArray();
    }

    public IReadOnlyList<string> GroupNames => _groups.Select(group => group.Name).ToArray();

    public TopologySnapshot Build(long version, IReadOnlyDictionary<string, GroupState> states) =>
        new(version, TopologyMode.Sentinel, BuildGroups(states));

    /// <summary>
    /// The groups alone: what a refresh compares with the current snapshot's before it builds one (a snapshot's slot
    /// map is 48 KB to fill, and nearly every refresh finds nothing changed).
    /// </summary>
    public ImmutableArray<ShardGroup> BuildGroups(IReadOnlyDictionary<string, GroupState> states)
    {
        var groups = ImmutableArray.CreateBuilder<ShardGroup>(_groups.Length);
        foreach (var (name, slots) in _groups)
        {
            var state = states.GetValueOrDefault(name) ?? GroupState.Unknown;
            var replicas = state.Replicas
                .OrderBy(node => node.Endpoint.ToString(), StringComparer.Ordinal)
                .ToImmutableArray();
            groups.Add(new ShardGroup(name, state.Master, replicas, slots));
        }

        return groups.MoveToImmutable();
    }

    /// <summary>The snapshot to start from before anything is known: every group without master or replicas.</summary>
    public TopologySnapshot BuildEmpty(long version) => Build(version, new Dictionary<string, GroupState>());
}
