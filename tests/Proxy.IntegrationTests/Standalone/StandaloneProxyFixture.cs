using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.TestSupport;
using Xunit;

namespace RespProxy.IntegrationTests.Standalone;

/// <summary>
/// One real redis-server and one proxy in front of it, shared by the tests of one class. Tests only add keys under
/// their own <see cref="NewPrefix"/>, so they never see each other's data.
/// </summary>
public sealed class StandaloneProxyFixture : IAsyncLifetime
{
    private RedisServerProcess? _redis;
    private ProxyTestHost? _proxy;

    public RedisServerProcess Redis => _redis ?? throw new InvalidOperationException("The fixture was not initialized.");

    public ProxyTestHost Proxy => _proxy ?? throw new InvalidOperationException("The fixture was not initialized.");

    /// <summary>A key prefix no other test uses.</summary>
    public static string NewPrefix(string test) => $"{test}:{Guid.NewGuid():N}:";

    public Task<RawRespClient> ConnectAsync(TimeSpan? timeout = null) => RawRespClient.ConnectAsync(Proxy.Host, Proxy.Port, timeout);

    public async Task InitializeAsync()
    {
        _redis = await RedisServerProcess.StartAsync();
        _proxy = await ProxyTestHost.StartStandaloneAsync(_redis.EndPoint, "--Backend:RequestTimeoutMs=5000");

        // The proxy connects to its backend in the background; tests start once a request goes through.
        await using var client = await ConnectAsync();
        await Wait.UntilAsync(
            async () => !(await client.CommandAsync("EXISTS", "fixture:warmup")).IsError,
            TimeSpan.FromSeconds(15),
            "the proxy to reach its backend",
            _redis.Diagnostics);
    }

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}
