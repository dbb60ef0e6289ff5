using RespProxy.Topology.Model;

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
            default:
                errors.Add($"Topology:Mode {options.Mode} is not available in this build yet; use Standalone.");
                break;
        }

        return errors;
    }
}
