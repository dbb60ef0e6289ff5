using Microsoft.Extensions.DependencyInjection;
using RespProxy.Backends;
using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.IntegrationTests.Standalone;
using RespProxy.TestSupport;
using Xunit;

namespace RespProxy.IntegrationTests.Backends;

/// <summary>
/// An exception while a backend connection writes requests (a bug, or a race with the connection's end) costs that
/// connection only: the request being written gets an error at once, the proxy connects again, and the same client
/// is served after that. Before, the connection's send flag stayed taken and every later request waited unanswered.
/// </summary>
public sealed class CrashWhileSendingTests
{
    private static readonly TimeSpan ReplyDeadline = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(10)]
    [InlineData(40_000)]
    public async Task A_write_that_throws_fails_its_backend_connection_and_the_next_requests_are_served(int valueSize)
    {
        await using var redis = await RedisServerProcess.StartAsync();
        FaultingBackendConnector? connector = null;
        await using var proxy = await ProxyTestHost.StartStandaloneAsync(redis.EndPoint, services =>
        {
            services.AddSingleton<SocketBackendConnector>();
            services.AddSingleton<IBackendConnector>(provider =>
                connector = new FaultingBackendConnector(provider.GetRequiredService<SocketBackendConnector>()));
        });
        await using var client = await RawRespClient.ConnectAsync(proxy.Host, proxy.Port, ReplyDeadline);
        var key = StandaloneProxyFixture.NewPrefix("crash-while-sending") + "key";
        var value = new string('v', valueSize);
        Assert.Equal("+OK", (await client.CommandAsync("SET", key, "before")).ToString());

        // Large values are written by TryWriteNow, small ones by the batch's send: both hold the send flag.
        connector!.FailNextWrite();
        var failed = await client.CommandAsync("SET", key, value);
        Assert.True(failed.IsError, "expected an error reply, got " + failed);
        Assert.Contains("injected write failure", failed.Text);
        Assert.Equal(1, connector.Faults);

        await Wait.UntilAsync(
            async () => (await client.CommandAsync("SET", key, value)).ToString() == "+OK",
            ReplyDeadline,
            "SETs through the proxy to succeed again after its backend connection failed");
        Assert.Equal(value, (await client.CommandAsync("GET", key)).Text);
        await using var direct = await redis.ConnectAsync();
        Assert.Equal(value, (await direct.CommandAsync("GET", key)).Text);
    }
}
