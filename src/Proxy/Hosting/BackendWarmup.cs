using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RespProxy.Backends;
using RespProxy.Routing;

namespace RespProxy.Hosting;

/// <summary>
/// Connects to the backends of the first routing table before the RESP listener opens (hosted services start before
/// Kestrel), so the first clients of a freshly started proxy are not told "backend unavailable: not connected yet".
/// Bounded by the connect timeout: a backend that is down does not keep the proxy from starting, it is reported as
/// unavailable and reconnected with backoff as usual.
/// </summary>
internal sealed class BackendWarmup(BackendRouter router, BackendPool pool, IOptions<BackendOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = router.Current;
        var attempts = pool.Servers.Select(server => server.FirstAttempt);
        try
        {
            await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromMilliseconds(options.Value.ConnectTimeoutMs + 500), cancellationToken);
        }
        catch (TimeoutException)
        {
            // Still connecting: start anyway; requests get a clear error until a connection is up.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
