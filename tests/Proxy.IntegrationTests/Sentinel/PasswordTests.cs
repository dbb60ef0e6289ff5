using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.TestSupport;
using Xunit;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>Password-protected servers and sentinels: the watcher and the backend connections authenticate.</summary>
[Collection(SentinelCollection.Name)]
public sealed class PasswordTests
{
    private const string ServerPassword = "s3rver-pass";
    private const string SentinelPassword = "s3ntinel-pass";

    [Fact]
    public async Task Protected_servers_and_sentinels_are_discovered_written_and_read_through_the_proxy()
    {
        await using var topology = await SentinelTopology.StartAsync(serverPassword: ServerPassword, sentinelPassword: SentinelPassword);
        await using var proxy = await ProxyTestHost.StartSentinelAsync(
            topology.SentinelList,
            [(topology.MasterName, "0-16383")],
            "--Topology:ReadPolicy=Replica",
            $"--Backend:Password={ServerPassword}",
            $"--Topology:SentinelPassword={SentinelPassword}");
        var dc1Replica = topology.InitialReplicas[0];

        await Wait.UntilAsync(
            async () =>
            {
                var info = await ProxyInfo.ReadAsync(proxy);
                return info.SentinelsReachable == 3
                    && info.Raw.Contains($"master={topology.InitialMaster.EndPoint}", StringComparison.Ordinal)
                    && info.Raw.Contains(dc1Replica.EndPoint + "@", StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(20),
            "the proxy to reach all three sentinels with their password and publish the master and the dc1 replica");

        await using var client = await RawRespClient.ConnectAsync(proxy.Host, proxy.Port, TimeSpan.FromSeconds(10));
        Assert.Equal("+OK", (await client.CommandAsync("SET", "pw:key", "pw:value")).ToString());
        await Wait.UntilAsync(
            async () => (await client.CommandAsync("GET", "pw:key")).Text == "pw:value",
            TimeSpan.FromSeconds(15),
            "the write to reach the replica that serves reads");

        long before = await GetCallsAsync(dc1Replica);
        for (int i = 0; i < 20; i++)
        {
            var reply = await client.CommandAsync("GET", "pw:key");
            Assert.Equal("pw:value", reply.Text);
        }

        Assert.Equal(20, await GetCallsAsync(dc1Replica) - before);
    }

    private static async Task<long> GetCallsAsync(RedisServerProcess server)
    {
        await using var direct = await server.ConnectAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("+OK", (await direct.CommandAsync("AUTH", ServerPassword)).ToString());
        return ServerStats.Calls(await ServerStats.InfoAsync(direct, "commandstats"), "get");
    }
}
