using System.Net;

namespace RespProxy.TestSupport;

/// <summary>
/// Tests may only ever talk to loopback addresses (127.0.0.x stand in for different hosts);
/// every helper that opens a socket or hands a host to a child process checks here first.
/// </summary>
internal static class LoopbackGuard
{
    public static IPAddress Parse(string host)
    {
        // Only IP literals: resolving a name such as "localhost" could hand back a non-loopback address.
        if (!IPAddress.TryParse(host, out var address) || !IPAddress.IsLoopback(address))
        {
            throw new ArgumentException(
                $"'{host}' is not a loopback IP literal; test helpers only use 127.0.0.x (or ::1).", nameof(host));
        }

        return address;
    }
}
