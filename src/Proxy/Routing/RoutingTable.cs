using RespProxy.Backends;
using RespProxy.Topology.Config;
using RespProxy.Topology.Model;

namespace RespProxy.Routing;

/// <summary>
/// A topology snapshot resolved to backend servers, read tiers and write holds: everything a command needs to pick
/// where it goes, built once per snapshot so requests do no lookups by address.
/// </summary>
internal sealed class RoutingTable
{
    private readonly GroupRoute[] _groups;

    public RoutingTable(TopologySnapshot snapshot, BackendPool pool, TopologyOptions topology, string localDataCenter, Func<string, WriteHold> holdOf)
    {
        Snapshot = snapshot;
        _groups = new GroupRoute[snapshot.Groups.Length];
        var preferences = DataCenterPreferences.For(topology, localDataCenter);
        for (int i = 0; i < _groups.Length; i++)
        {
            var group = snapshot.Groups[i];
            var master = group.Master is null ? null : pool.Get(group.Master.Endpoint);
            var tiers = BuildReadTiers(group, pool, topology.ReadPolicy, preferences);
            _groups[i] = new GroupRoute(group.Name, master, tiers, topology.ReadPolicy, holdOf(group.Name));
        }
    }

    public TopologySnapshot Snapshot { get; }

    /// <summary>True when every slot belongs to one group: no key needs hashing.</summary>
    public bool IsSingleGroup => _groups.Length == 1;

    public IReadOnlyList<GroupRoute> Groups => _groups;

    public GroupRoute Group(int index) => _groups[index];

    private static void AddMember(List<(ServerNode Node, int Priority, int Weight)> members, ServerNode node, DataCenterPreferences preferences)
    {
        var (priority, weight) = preferences.Of(node.DataCenter);
        if (priority != DataCenterPreferences.Excluded)
        {
            members.Add((node, priority, weight));
        }
    }

    private static ReadTier[] BuildReadTiers(ShardGroup group, BackendPool pool, ReadPolicy policy, DataCenterPreferences preferences)
    {
        if (policy == ReadPolicy.Master)
        {
            return [];
        }

        var members = new List<(ServerNode Node, int Priority, int Weight)>();
        foreach (var replica in group.Replicas)
        {
            if (replica.Readable)
            {
                AddMember(members, replica, preferences);
            }
        }

        if (policy == ReadPolicy.Any && group.Master is not null)
        {
            AddMember(members, group.Master, preferences);
        }

        return [.. members
            .GroupBy(member => member.Priority)
            .OrderByDescending(tier => tier.Key)
            .Select(tier => new ReadTier(tier.Key, [.. tier.Select(member => (pool.Get(member.Node.Endpoint), member.Weight))]))];
    }
}
