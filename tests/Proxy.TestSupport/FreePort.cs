using System.Net;
using System.Net.Sockets;

namespace RespProxy.TestSupport;

/// <summary>Hands out TCP ports that were free a moment ago, never the same one twice per test run.</summary>
public static class FreePort
{
    // Low ports are often taken by well-known services or configured by hand in docs and configs.
    private const int LowestAcceptablePort = 20000;
    private const int MaxAttempts = 200;

    private static readonly HashSet<int> HandedOut = [];
    private static readonly Lock HandedOutLock = new();

    public static int Next(string host = "127.0.0.1")
    {
        var address = LoopbackGuard.Parse(host);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var port = AskKernelForPort(address);
            if (port < LowestAcceptablePort)
            {
                continue;
            }

            // Tracked by number alone (not host:port): parallel tests that start servers on 127.0.0.1 and
            // 127.0.0.2 must not collide either when a test later moves a process to another address.
            lock (HandedOutLock)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"Could not find an unused TCP port >= {LowestAcceptablePort} on {host} after {MaxAttempts} attempts.");
    }

    private static int AskKernelForPort(IPAddress address)
    {
        var listener = new TcpListener(address, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
