using RespProxy.Backends;
using RespProxy.Topology.Model;

namespace RespProxy.Routing;

/// <summary>
/// A topology snapshot resolved to backend servers: what a command needs to pick where it goes, built once per
/// snapshot so requests do no lookups by address.
/// </summary>
internal sealed class RoutingTable
{
    private readonly BackendServer?[] _masters;

    public RoutingTable(TopologySnapshot snapshot, BackendPool pool)
    {
        Snapshot = snapshot;
        _masters = new BackendServer?[snapshot.Groups.Length];
        for (int i = 0; i < _masters.Length; i++)
        {
            var master = snapshot.Groups[i].Master;
            _masters[i] = master is null ? null : pool.Get(master.Endpoint);
        }
    }

    public TopologySnapshot Snapshot { get; }

    /// <summary>True when every slot belongs to one group: no key needs hashing.</summary>
    public bool IsSingleGroup => _masters.Length == 1;

    public BackendServer? MasterOfGroup(int group) => _masters[group];

    public BackendServer? MasterOfSlot(int slot) => _masters[Snapshot.GroupIndexForSlot(slot)];
}
