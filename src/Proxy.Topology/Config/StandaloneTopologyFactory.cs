using System.Collections.Immutable;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Config;

/// <summary>Builds the fixed snapshot of Standalone mode: one group, its server the master of every slot.</summary>
public static class StandaloneTopologyFactory
{
    public static TopologySnapshot Create(TopologyOptions options, long version)
    {
        var endpoint = ServerEndpoint.Parse(options.Servers[0]);
        var master = new ServerNode(endpoint, ServerRole.Master, DataCenter: null);
        var group = new ShardGroup(endpoint.ToString(), master, [], [new SlotRange(0, SlotRange.SlotCount - 1)]);
        return new TopologySnapshot(version, TopologyMode.Standalone, [group]);
    }
}
