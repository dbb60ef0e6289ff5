namespace RespProxy.Topology.Model;

/// <summary>Where read-only commands go.</summary>
public enum ReadPolicy : byte
{
    /// <summary>Every read goes to the master.</summary>
    Master,

    /// <summary>The master; replicas only while the master cannot be reached.</summary>
    PreferMaster,

    /// <summary>Readable replicas only (nearest datacenter first); never the master.</summary>
    Replica,

    /// <summary>Readable replicas, nearest datacenter first, then the master.</summary>
    PreferReplica,

    /// <summary>Master and readable replicas alike, nearest datacenter first.</summary>
    Any,
}
