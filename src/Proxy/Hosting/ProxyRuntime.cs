using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RespProxy.Backends;
using RespProxy.Commands;
using RespProxy.Resp.Parsing;
using RespProxy.Routing;
using RespProxy.Topology.Model;

namespace RespProxy.Hosting;

/// <summary>What every client session shares: options, limits, topology, backends, policy and counters.</summary>
internal sealed class ProxyRuntime
{
    public ProxyRuntime(
        IOptions<ProxyOptions> options,
        TopologyHolder topology,
        BackendRouter router,
        BackendPool backends,
        ILoggerFactory loggerFactory,
        IServiceProvider services)
    {
        Sentinel = services.GetService(typeof(SentinelTopologyService)) as SentinelTopologyService;
        Options = options.Value;
        Limits = new ProtocolLimits { MaxBulkLength = Options.MaxBulkLength };
        Topology = topology;
        Router = router;
        Backends = backends;
        Policy = new CommandPolicy(Options.AllowAdminCommands);
        Logger = loggerFactory.CreateLogger("RespProxy.Clients");
        Info = new InfoTransform(this);
    }

    public ProxyOptions Options { get; }

    /// <summary>The sentinel watcher's service in Sentinel mode; null otherwise.</summary>
    public SentinelTopologyService? Sentinel { get; }

    public ProtocolLimits Limits { get; }

    public TopologyHolder Topology { get; }

    public BackendRouter Router { get; }

    public BackendPool Backends { get; }

    public CommandPolicy Policy { get; }

    public ILogger Logger { get; }

    /// <summary>Puts the proxy's own section in front of a backend's INFO reply.</summary>
    public InfoTransform Info { get; }

    public long StartedAt { get; } = Stopwatch.GetTimestamp();

    private int _connectedClients;

    public int ConnectedClients => Volatile.Read(ref _connectedClients);

    public void ClientConnected() => Interlocked.Increment(ref _connectedClients);

    public void ClientDisconnected() => Interlocked.Decrement(ref _connectedClients);
}
