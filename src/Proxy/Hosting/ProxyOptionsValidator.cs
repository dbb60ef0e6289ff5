using RespProxy.Topology.Model;

namespace RespProxy.Hosting;

/// <summary>Checks the Proxy section and reports every problem at once.</summary>
internal static class ProxyOptionsValidator
{
    public static IEnumerable<string> Validate(ProxyOptions options)
    {
        if (!ServerEndpoint.TryParse(options.Listen, out var listen) || listen.Address is null)
        {
            yield return $"Proxy:Listen '{options.Listen}' is not an ip:port address.";
        }

        if (!ServerEndpoint.TryParse(options.AdminListen, out var admin) || admin.Address is null)
        {
            yield return $"Proxy:AdminListen '{options.AdminListen}' is not an ip:port address.";
        }

        if (options.MaxBulkLength < 1)
        {
            yield return "Proxy:MaxBulkLength must be positive.";
        }

        if (options.MaxPendingRequestsPerClient < 1)
        {
            yield return "Proxy:MaxPendingRequestsPerClient must be positive.";
        }
    }
}
