using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RespProxy.Hosting;
using RespProxy.Topology.Model;

namespace RespProxy.Backends;

/// <summary>Every backend server the proxy talks to, by address, plus the timer that enforces request timeouts.</summary>
/// <remarks>
/// The timer runs only while some connection owes replies (connections arm it when they go from idle to busy), every
/// twentieth of the timeout: a stall is noticed at most 5% late, and an idle proxy has no timer waking it.
/// </remarks>
internal sealed class BackendPool : IAsyncDisposable
{
    private readonly Dictionary<ServerEndpoint, BackendServer> _servers = [];
    private readonly Lock _serversLock = new();
    private readonly BackendOptions _options;
    private readonly IBackendConnector _connector;
    private readonly ILogger _logger;
    private readonly OnDemandTimer _timeoutCheck;
    private BackendServer[] _snapshot = [];

    public BackendPool(IOptions<BackendOptions> options, IBackendConnector connector, ILoggerFactory loggerFactory)
    {
        _options = options.Value;
        _logger = loggerFactory.CreateLogger("RespProxy.Backends");
        _connector = connector;
        _timeoutCheck = new OnDemandTimer(TimeoutCheckPeriod(_options), CheckTimeouts);
    }

    /// <summary>The server at <paramref name="endpoint"/>, created (and connecting) on first use.</summary>
    /// <remarks>Called when a routing table is built, never per request; the lock keeps one server per address.</remarks>
    public BackendServer Get(ServerEndpoint endpoint)
    {
        lock (_serversLock)
        {
            if (!_servers.TryGetValue(endpoint, out var server))
            {
                server = new BackendServer(endpoint, _options, _connector, _timeoutCheck, _logger);
                _servers.Add(endpoint, server);
                Volatile.Write(ref _snapshot, [.. _servers.Values]);
            }

            return server;
        }
    }

    /// <summary>Every server so far; a snapshot replaced when one is added, so the timeout timer allocates nothing (read only: shared).</summary>
    public BackendServer[] Servers => Volatile.Read(ref _snapshot);

    private static TimeSpan TimeoutCheckPeriod(BackendOptions options) =>
        TimeSpan.FromMilliseconds(Math.Min(options.ReplyGraceMs, 250));

    // Returns true while replies are owed somewhere: the check runs again.
    private bool CheckTimeouts()
    {
        long now = Environment.TickCount64;
        bool busy = false;
        foreach (var server in Servers)
        {
            busy |= server.CheckTimeouts(now);
        }

        return busy;
    }

    public async ValueTask DisposeAsync()
    {
        await _timeoutCheck.DisposeAsync();
        foreach (var server in Servers)
        {
            await server.DisposeAsync();
        }

    }
}
