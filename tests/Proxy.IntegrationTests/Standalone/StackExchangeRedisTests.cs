using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.TestSupport;
using StackExchange.Redis;
using Xunit;

namespace RespProxy.IntegrationTests.Standalone;

public sealed class StackExchangeRedisTests
{
    [Fact]
    public async Task DefaultHandshake_ThroughProxy_Connects()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        await using var proxy = await ProxyTestHost.StartStandaloneAsync(redis.EndPoint);
        var log = new StringWriter();
        await using var client = await ConnectionMultiplexer.ConnectAsync($"{proxy.Host}:{proxy.Port}", log);
        var db = client.GetDatabase();
        await db.StringSetAsync("k", "v");
        Assert.Equal("v", (string?)await db.StringGetAsync("k"));
        Assert.True(client.IsConnected, log.ToString());
    }
}
