using System.Text;
using RespProxy.Topology.Model;

namespace RespProxy.Backends;

/// <summary>Error reply texts (no '-' and no CRLF) for requests a backend could not answer.</summary>
internal static class BackendErrors
{
    public static byte[] Unavailable(ServerEndpoint endpoint, string reason)
        => Encoding.UTF8.GetBytes($"ERR backend unavailable ({endpoint}: {Sanitize(reason)})");

    // Error lines may not contain CR or LF.
    private static string Sanitize(string text) => text.Replace('\r', ' ').Replace('\n', ' ');
}
