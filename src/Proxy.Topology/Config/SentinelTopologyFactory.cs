using System.Collections.Immutable;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Config;

/// <summary>
/// The snapshot Sentinel mode starts from, before the watcher has asked any sentinel: every configured group with its
/// slots and no confirmed master yet (requests for a master wait in the write hold until discovery).
/// </summary>
public static class SentinelTopologyFactory
{
    public static TopologySnapshot CreateInitial(TopologyOptions options)
    {
        var groups = options.Groups
            .Select(group => new ShardGroup(group.Name, Master: null, [], [.. SlotRange.ParseList(group.Slots)]))
            .ToImmutableArray();
        return new TopologySnapshot(0, TopologyMode.Sentinel, groups);
    }
}
