using RespProxy.Topology.Model;
using RespProxy.Topology.Sentinel;

namespace RespProxy.Topology.Config;

/// <summary>Checks a <see cref="TopologyOptions"/> and reports every problem at once.</summary>
public static class TopologyOptionsValidator
{
    public static IReadOnlyList<string> Validate(TopologyOptions options)
    {
        var errors = new List<string>();
        switch (options.Mode)
        {
            case TopologyMode.Standalone:
                if (options.Servers.Count == 0)
                {
                    errors.Add("Topology:Servers needs one backend address (host:port) in Standalone mode.");
                }
                else if (options.Servers.Count > 1)
                {
                    // Several standalone servers would need client-side sharding; that is what sentinel Groups with
                    // slot ranges are for, so one address here keeps the meaning of "Standalone" plain.
                    errors.Add("Topology:Servers takes exactly one backend in Standalone mode; shard with Sentinel Groups and Slots.");
                }

                foreach (var server in options.Servers)
                {
                    if (!ServerEndpoint.TryParse(server, out _))
                    {
                        errors.Add($"Topology:Servers entry '{server}' is not a host:port address.");
                    }
                }

                break;
            case TopologyMode.Sentinel:
                ValidateSentinel(options, errors);
                break;
            default:
                errors.Add($"Topology:Mode {options.Mode} is not available in this build yet; use Standalone or Sentinel.");
                break;
        }

        try
        {
            _ = new DataCenterMap(options.DataCenters);
        }
        catch (FormatException ex)
        {
            errors.Add($"Topology:DataCenters: {ex.Message}");
        }

        return errors;
    }

    private static void ValidateSentinel(TopologyOptions options, List<string> errors)
    {
        if (options.Sentinels.Count == 0)
        {
            errors.Add("Topology:Sentinels needs at least one sentinel address (host:port) in Sentinel mode.");
        }

        foreach (var sentinel in options.Sentinels)
        {
            if (!ServerEndpoint.TryParse(sentinel, out _))
            {
                errors.Add($"Topology:Sentinels entry '{sentinel}' is not a host:port address.");
            }
        }

        if (options.Groups.Count == 0)
        {
            errors.Add("Topology:Groups needs at least one group ({\"Name\": \"mymaster\", \"Slots\": \"0-16383\"}) in Sentinel mode.");
            return;
        }

        var owner = new string?[SlotRange.SlotCount];
        foreach (var group in options.Groups)
        {
            if (string.IsNullOrWhiteSpace(group.Name))
            {
                errors.Add("Topology:Groups entry without a Name (the sentinel master name).");
                continue;
            }

            IReadOnlyList<SlotRange> ranges;
            try
            {
                ranges = SlotRange.ParseList(group.Slots);
            }
            catch (FormatException ex)
            {
                errors.Add($"Topology:Groups '{group.Name}' Slots: {ex.Message}");
                continue;
            }

            foreach (var range in ranges)
            {
                for (int slot = range.Start; slot <= range.End; slot++)
                {
                    if (owner[slot] is not null && owner[slot] != group.Name)
                    {
                        errors.Add($"Topology:Groups '{group.Name}' and '{owner[slot]}' both own slot {slot}.");
                        return;
                    }

                    owner[slot] = group.Name;
                }
            }
        }

        int free = Array.IndexOf(owner, null);
        if (free >= 0)
        {
            errors.Add($"Topology:Groups leave slot {free} without a group; together they must cover 0-16383.");
        }
    }
}
