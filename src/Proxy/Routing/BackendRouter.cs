using RespProxy.Backends;
using RespProxy.Topology.Model;

namespace RespProxy.Routing;

/// <summary>Keeps the <see cref="RoutingTable"/> of the current topology snapshot, rebuilt on every swap.</summary>
internal sealed class BackendRouter
{
    private readonly BackendPool _pool;
    private RoutingTable _current;

    public BackendRouter(TopologyHolder topology, BackendPool pool)
    {
        _pool = pool;
        _current = new RoutingTable(topology.Current, pool);
        topology.Changed += (_, next) => Volatile.Write(ref _current, new RoutingTable(next, _pool));
    }

    /// <summary>Read once per command; every key of the command routes against the same table.</summary>
    public RoutingTable Current => Volatile.Read(ref _current);
}
