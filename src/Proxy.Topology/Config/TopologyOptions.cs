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

    public string ReadPolicy { get; set; } = "Master";

    /// <summary>Datacenter name -> CIDRs or addresses of the servers that live there.</summary>
    public Dictionary<string, List<string>> DataCenters { get; set; } = [];
}

public sealed class GroupOptions
{
    public string Name { get; set; } = "";

    public string Slots { get; set; } = "0-16383";
}
