using System.Diagnostics;
using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.TestSupport;
using Xunit;

namespace RespProxy.IntegrationTests.Standalone;

/// <summary>
/// A client's pipelined requests must run on the backend in the order it sent them (Redis guarantees this per
/// connection: a GET pipelined after a SET sees that SET). The proxy spreads clients over several backend
/// connections; when the client's usual connection is down its requests use another one, and that must not let a
/// later request overtake an earlier one once the usual connection is back.
/// </summary>
public sealed class BackendConnectionSwitchOrderingTests
{
    private const int PauseMs = 4000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Pipelined_get_after_set_sees_the_set_while_a_backend_connection_reconnects()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        await using var proxy = await ProxyTestHost.StartStandaloneAsync(
            redis.EndPoint,
            "--Backend:ConnectionsPerServer=2",
            "--Backend:ReconnectMaxDelayMs=100",
            "--Backend:RequestTimeoutMs=10000");
        await using var admin = await redis.ConnectAsync();
        await using var client = await RawRespClient.ConnectAsync(proxy.Host, proxy.Port);

        // Watches the proxy's backend connections (INFO PROXY) on its own connection: the client's pipeline stays untouched.
        await using var monitor = await RawRespClient.ConnectAsync(proxy.Host, proxy.Port);
        await WaitForBackendConnectionsAsync(monitor, 2, redis);

        try
        {
            // 1. Which backend connection does this client normally use? The one redis saw its EXISTS on.
            Assert.Equal(":0", (await client.CommandAsync("EXISTS", "switch:probe")).ToString());
            long usual = FindClientId(await ClientListAsync(admin), "exists");

            // 2. Take that connection away and keep it away: new connections fail the proxy's handshake (NOAUTH),
            //    connections already open (the other backend connection, our admin one) stay authenticated.
            Assert.Equal("+OK", (await admin.CommandAsync("CONFIG", "SET", "requirepass", "switch-test")).ToString());
            Assert.Equal(":1", (await admin.CommandAsync("CLIENT", "KILL", "ID", usual.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToString());
            await WaitForBackendConnectionsAsync(monitor, 1, redis);

            // 3. Writes stall in redis (reads still run): the client's SET goes to the other connection and waits there.
            Assert.Equal("+OK", (await admin.CommandAsync("CLIENT", "PAUSE", PauseMs.ToString(System.Globalization.CultureInfo.InvariantCulture), "WRITE")).ToString());
            var paused = Stopwatch.StartNew();
            await client.SendCommandAsync("SET", "switch:key", "new-value");
            await Wait.UntilAsync(
                async () => RedisInfo.Parse((await admin.CommandAsync("INFO", "clients")).Text!)["blocked_clients"] == "1",
                Deadline,
                "the client's SET to be held by CLIENT PAUSE WRITE",
                redis.Diagnostics);

            // 4. The usual connection comes back; then the client pipelines a GET of the key it just SET.
            Assert.Equal("+OK", (await admin.CommandAsync("CONFIG", "SET", "requirepass", "")).ToString());
            await WaitForBackendConnectionsAsync(monitor, 2, redis);
            await client.SendCommandAsync("GET", "switch:key");
            Assert.True(
                paused.ElapsedMilliseconds < PauseMs - 500,
                $"inconclusive: the GET was sent {paused.ElapsedMilliseconds} ms after CLIENT PAUSE {PauseMs}, the SET may already have run");

            // 5. Redis would run the GET after the SET (same connection): it must see "new-value".
            Assert.Equal("+OK", (await client.ReadAsync()).ToString());
            var get = await client.ReadAsync();
            Assert.True(
                get.Type == '$' && get.Text == "new-value",
                $"GET pipelined after SET on one client connection returned {get} instead of $new-value: the proxy sent it on another backend " +
                "connection than the SET (the client's usual one had just reconnected), so redis ran it before the SET." +
                $"{Environment.NewLine}redis CLIENT LIST:{Environment.NewLine}{await ClientListAsync(admin)}");
        }
        finally
        {
            await admin.CommandAsync("CLIENT", "UNPAUSE");
            await admin.CommandAsync("CONFIG", "SET", "requirepass", "");
        }
    }

    private static async Task<string> ClientListAsync(RawRespClient admin) => (await admin.CommandAsync("CLIENT", "LIST")).Text!;

    private static long FindClientId(string clientList, string lastCommand)
    {
        var ids = RedisClientList.Parse(clientList)
            .Where(client => client.Line.Contains($" cmd={lastCommand} ", StringComparison.Ordinal))
            .Select(client => client.Id)
            .ToList();
        Assert.True(ids.Count == 1, $"expected one backend connection whose last command was {lastCommand}:{Environment.NewLine}{clientList}");
        return ids[0];
    }

    // "backend0:addr=127.0.0.1:1234,connections=2,version=7.0.15" in INFO PROXY (answered by the proxy itself).
    private static async Task WaitForBackendConnectionsAsync(RawRespClient monitor, int count, RedisServerProcess redis)
    {
        string last = "";
        await Wait.UntilAsync(
            async () =>
            {
                last = (await monitor.CommandAsync("INFO", "PROXY")).Text ?? "";
                return last.Contains($",connections={count},", StringComparison.Ordinal);
            },
            Deadline,
            $"the proxy to have {count} backend connection(s) up",
            () => last + Environment.NewLine + redis.Diagnostics());
    }
}
