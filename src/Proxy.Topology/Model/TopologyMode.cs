namespace RespProxy.Topology.Model;

public enum TopologyMode : byte
{
    /// <summary>Fixed servers from config, no discovery.</summary>
    Standalone,

    /// <summary>Masters and replicas discovered and followed through Redis Sentinel.</summary>
    Sentinel,

    /// <summary>A Redis Cluster, followed through CLUSTER SLOTS/NODES and MOVED/ASK.</summary>
    Cluster,
}
