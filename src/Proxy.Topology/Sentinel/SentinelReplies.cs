using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>SENTINEL MASTER &lt;name&gt;, the fields the watcher uses.</summary>
internal sealed record SentinelMasterInfo(string Name, ServerEndpoint? Endpoint, SentinelInstanceFlags Flags, long ConfigEpoch);

/// <summary>One entry of SENTINEL REPLICAS &lt;name&gt;.</summary>
/// <param name="MasterLinkStatus">"ok" or "err" (from the replica's last INFO as sentinel saw it).</param>
/// <param name="ReplicationOffset">slave-repl-offset, or null when missing.</param>
/// <param name="MasterLinkDownTimeMs">master-link-down-time, 0 while the link is up.</param>
internal sealed record SentinelReplicaInfo(
    ServerEndpoint Endpoint,
    SentinelInstanceFlags Flags,
    string MasterLinkStatus,
    long? ReplicationOffset,
    long MasterLinkDownTimeMs);

/// <summary>Another sentinel as SENTINEL SENTINELS lists it.</summary>
internal sealed record SentinelPeer(ServerEndpoint Endpoint, string? RunId);

/// <summary>ROLE of a redis server: "master" with its offset, or "slave" with its master, link state and offset.</summary>
internal sealed record RoleInfo(string Role, long? Offset, ServerEndpoint? Master, string? LinkState)
{
    public bool IsMaster => Role == "master";
}

/// <summary>INFO replication of a redis server, the fields replica gating needs.</summary>
internal sealed record ReplicationInfo(
    string Role,
    string? MasterLinkStatus,
    long? ReplicaOffset,
    long? MasterOffset,
    bool SyncInProgress,
    bool Loading)
{
    public static ReplicationInfo LoadingServer { get; } = new("unknown", null, null, null, SyncInProgress: false, Loading: true);
}

/// <summary>A message from a sentinel event channel, e.g. "+sdown slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379".</summary>
/// <param name="Channel">"+switch-master", "+sdown", ...</param>
/// <param name="GroupName">The master name the event concerns, when it names one.</param>
internal sealed record SentinelEvent(string Channel, string? GroupName, string Payload);
