using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.IntegrationTests.Standalone;
using RespProxy.TestSupport;
using RespProxy.Transport;
using Xunit;

namespace RespProxy.IntegrationTests.Connections;

/// <summary>
/// An exception while the proxy writes one client's replies (a bug, or a race with that client's end) costs that
/// client only: the proxy closes its connection, and the backend connection it shares with every other client goes on
/// serving them. Before, the exception escaped into the backend connection's reader, which failed that connection for
/// everyone, and left the client's output held with its connection open.
/// </summary>
public sealed class ReplyWriteFailureTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_reply_write_that_throws_closes_that_client_and_no_other()
    {
        Assert.True(LinuxSockets.IsSupported, "the proxy's epoll transport serves clients on this machine");
        await using var redis = await RedisServerProcess.StartAsync();
        FaultingClientTransport? transport = null;
        await using var proxy = await ProxyTestHost.StartStandaloneAsync(redis.EndPoint, services =>
            services.AddSingleton<IConnectionListenerFactory>(provider =>
                transport = new FaultingClientTransport(provider.GetRequiredService<EpollTransport>())));
        var key = StandaloneProxyFixture.NewPrefix("reply-write-failure") + "key";

        // Accepted in this order: each is served before the next connects.
        await using var failing = await RawRespClient.ConnectAsync(proxy.Host, proxy.Port, Deadline);
        Assert.Equal("+OK", (await failing.CommandAsync("SET", key, "value")).ToString());
        await using var other = await RawRespClient.ConnectAsync(proxy.Host, proxy.Port, Deadline);
        Assert.Equal("value", (await other.CommandAsync("GET", key)).Text);
        Assert.Equal(2, transport!.AcceptedCount);

        await using var direct = await redis.ConnectAsync();
        var backendConnections = await ProxyConnectionIdsAsync(direct);
        Assert.NotEmpty(backendConnections);

        transport.FailNextWrite(0);
        await failing.SendCommandAsync("GET", key);
        Assert.True(await failing.IsClosedByServerAsync(Deadline), "the client whose reply could not be written is closed");
        Assert.Equal(1, transport.Faults);

        Assert.Equal("value", (await other.CommandAsync("GET", key)).Text);
        var after = await ProxyConnectionIdsAsync(direct);
        Assert.True(backendConnections.IsSubsetOf(after),
            $"the proxy's backend connections stay open: before {string.Join(',', backendConnections)}, after {string.Join(',', after)}");

        await using var next = await RawRespClient.ConnectAsync(proxy.Host, proxy.Port, Deadline);
        Assert.Equal("value", (await next.CommandAsync("GET", key)).Text);
    }

    // Redis's ids of every client connection but the asking one: here, the proxy's backend connections.
    private static async Task<HashSet<long>> ProxyConnectionIdsAsync(RawRespClient direct)
    {
        long own = (await direct.CommandAsync("CLIENT", "ID")).Integer;
        var list = (await direct.CommandAsync("CLIENT", "LIST")).Text ?? "";
        return RedisClientList.Parse(list).Select(client => client.Id).Where(id => id != own).ToHashSet();
    }
}
