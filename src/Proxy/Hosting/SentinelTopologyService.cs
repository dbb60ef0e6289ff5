using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RespProxy.Backends;
using RespProxy.Topology.Config;
using RespProxy.Topology.Model;
using RespProxy.Topology.Sentinel;

namespace RespProxy.Hosting;

/// <summary>Runs the embedded <see cref="SentinelWatcher"/> for the life of the host (Sentinel mode only).</summary>
internal sealed class SentinelTopologyService(
    IOptions<TopologyOptions> topology,
    IOptions<BackendOptions> backend,
    TopologyHolder holder,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    public SentinelWatcher Watcher { get; } = new(topology.Value, holder, loggerFactory.CreateLogger("RespProxy.Sentinel"))
    {
        PollInterval = TimeSpan.FromMilliseconds(topology.Value.SentinelPollIntervalMs),
        SentinelUser = topology.Value.SentinelUser,
        SentinelPassword = topology.Value.SentinelPassword,
        RedisUser = backend.Value.User,
        RedisPassword = backend.Value.Password,
        MaxReplicaLagBytes = topology.Value.MaxReplicaLagBytes > 0 ? topology.Value.MaxReplicaLagBytes : null,
    };

    // The first refresh completes before the host reports started, unless every sentinel is down; then the watcher
    // keeps trying in the background and requests for a master wait in the write hold.
    public Task StartAsync(CancellationToken cancellationToken) => Watcher.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await Watcher.DisposeAsync();

    public ValueTask DisposeAsync() => Watcher.DisposeAsync();
}
