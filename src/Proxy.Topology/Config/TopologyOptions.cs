using RespProxy.Topology.Model;

namespace RespProxy.Topology.Config;

/// <summary>The "Topology" config section, bound as-is; <see cref="TopologyOptionsValidator"/> checks it.</summary>
public sealed class TopologyOptions
{
    public const string SectionName = "Topology";

    public TopologyMode Mode { get; set; } = TopologyMode.Standalone;

    /// <summary>Standalone mode: backend addresses ("host:port").</summary>
    public List<string> Servers { get; set; } = [];

    /// <summary>Sentinel mode: sentinel addresses ("host:port").</summary>
    public List<string> Sentinels { get; set; } = [];

    /// <summary>Sentinel mode: monitored master names and the slots each owns.</summary>
    public List<GroupOptions> Groups { get; set; } = [];

    public ReadPolicy ReadPolicy { get; set; } = ReadPolicy.Master;

    /// <summary>Datacenter name -> CIDRs or addresses of the servers that live there.</summary>
    public Dictionary<string, List<string>> DataCenters { get; set; } = [];

    /// <summary>
    /// Per local datacenter (the proxy's Proxy:DataCenter), how much each datacenter's replicas are preferred for
    /// reads: higher Priority first, Weight shares load within one priority. Without an entry: the local datacenter
    /// first, every other one after it, equal weights.
    /// </summary>
    public Dictionary<string, List<DataCenterPreference>> ReadPreferences { get; set; } = [];

    /// <summary>
    /// How long a request for a group's master is held while the group has no reachable master (a failover), before it
    /// is answered with -TRYAGAIN. -1 = the mode's default: 5000 ms with Sentinel, 0 (answer at once) otherwise.
    /// </summary>
    public int HoldWritesMs { get; set; } = -1;

    /// <summary>Request bytes held per group at most; past it, further requests get -TRYAGAIN at once.</summary>
    public long HoldWritesMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Sentinel mode: ACL user and password for the sentinels (sentinel's requirepass), if any.</summary>
    public string? SentinelUser { get; set; }

    public string? SentinelPassword { get; set; }

    /// <summary>Sentinel mode: how often sentinels are polled as a backstop to their events.</summary>
    public int SentinelPollIntervalMs { get; set; } = 250;

    /// <summary>Sentinel mode: a replica further behind its master than this many bytes gets no reads (0 = no bound).</summary>
    public long MaxReplicaLagBytes { get; set; }

    public int EffectiveHoldWritesMs => HoldWritesMs >= 0 ? HoldWritesMs : Mode == TopologyMode.Sentinel ? 5000 : 0;
}

public sealed class DataCenterPreference
{
    public string DataCenter { get; set; } = "";

    public int Priority { get; set; } = 1;

    public int Weight { get; set; } = 1;
}

public sealed class GroupOptions
{
    public string Name { get; set; } = "";

    public string Slots { get; set; } = "0-16383";
}
