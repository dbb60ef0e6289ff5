using RespProxy.Topology.Config;

namespace RespProxy.Routing;

/// <summary>
/// Read priority and weight of each datacenter as seen from the proxy's own: configured per local datacenter in
/// Topology:ReadPreferences, else the local datacenter first (priority 2) and every other after it (priority 1).
/// Servers whose datacenter is unknown come last (priority 0).
/// </summary>
internal sealed class DataCenterPreferences
{
    /// <summary>Priority of a datacenter that is not read from.</summary>
    public const int Excluded = int.MinValue;

    private readonly Dictionary<string, (int Priority, int Weight)> _byName;
    private readonly (int Priority, int Weight) _otherwise;

    private DataCenterPreferences(Dictionary<string, (int Priority, int Weight)> byName, (int Priority, int Weight) otherwise)
    {
        _byName = byName;
        _otherwise = otherwise;
    }

    public static DataCenterPreferences For(TopologyOptions topology, string localDataCenter)
    {
        var byName = new Dictionary<string, (int Priority, int Weight)>(StringComparer.OrdinalIgnoreCase);
        if (topology.ReadPreferences.TryGetValue(localDataCenter, out var configured) && configured.Count > 0)
        {
            foreach (var preference in configured)
            {
                byName[preference.DataCenter] = (preference.Priority, Math.Max(1, preference.Weight));
            }

            // Datacenters the operator did not list are not read from (as with predixy's ReadPolicy).
            return new DataCenterPreferences(byName, (Excluded, 1));
        }

        byName[localDataCenter] = (2, 1);
        return new DataCenterPreferences(byName, (1, 1));
    }

    public (int Priority, int Weight) Of(string? dataCenter)
        => dataCenter is null ? (0, 1) : _byName.TryGetValue(dataCenter, out var preference) ? preference : _otherwise;
}
