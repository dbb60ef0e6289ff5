using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RespProxy.Topology.Model;

namespace RespProxy.Backends;

/// <summary>Every backend server the proxy talks to, by address, plus the timer that enforces request timeouts.</summary>
internal sealed class BackendPool : IAsyncDisposable
{
    private readonly Dictionary<ServerEndpoint, BackendServer> _servers = [];
    private readonly Lock _serversLock = new();
    private readonly BackendOptions _options;
    private readonly IBackendConnector _connector;
    private readonly ILogger _logger;
    private readonly Timer _timeoutTimer;
    private BackendServer[] _snapshot = [];

    public BackendPool(IOptions<BackendOptions> options, IBackendConnector connector, ILoggerFactory loggerFactory)
    {
        _options = options.Value;
        _logger = loggerFactory.CreateLogger("RespProxy.Backends");
        _connector = connector;
        _timeoutTimer = new Timer(_ => CheckTimeouts(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>The server at <paramref name="endpoint"/>, created (and connecting) on first use.</summary>
    /// <remarks>Called when a routing table is built, never per request; the lock keeps one server per address.</remarks>
    public BackendServer Get(ServerEndpoint endpoint)
    {
        lock (_serversLock)
        {
            if (!_servers.TryGetValue(endpoint, out var server))
            {
                server = new BackendServer(endpoint, _options, _connector, _logger);
                _servers.Add(endpoint, server);
                Volatile.Write(ref _snapshot, [.. _servers.Values]);
            }

            return server;
        }
    }

    /// <summary>Every server so far; a snapshot replaced when one is added, so the timeout timer allocates nothing (read only: shared).</summary>
    public BackendServer[] Servers => Volatile.Read(ref _snapshot);

    private void CheckTimeouts()
    {
        long now = Environment.TickCount64;
        foreach (var server in Servers)
        {
            server.CheckTimeouts(now);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _timeoutTimer.DisposeAsync();
        foreach (var server in Servers)
        {
            await server.DisposeAsync();
        }

    }
}
