namespace RespProxy.Topology.Model;

/// <summary>One Redis server as a snapshot sees it: address, role, datacenter and whether it may take reads.</summary>
/// <param name="Endpoint">Where it listens.</param>
/// <param name="Role">Master or replica at the time the snapshot was built.</param>
/// <param name="DataCenter">The datacenter its address maps to (config DataCenters), or null when unmapped.</param>
/// <param name="Readable">False for a replica that must get no reads (down, syncing, lagging).</param>
public sealed record ServerNode(ServerEndpoint Endpoint, ServerRole Role, string? DataCenter, bool Readable = true);
