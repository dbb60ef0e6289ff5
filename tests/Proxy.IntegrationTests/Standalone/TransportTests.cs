using System.Net;
using System.Net.Sockets;
using System.Text;
using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.IntegrationTests.Sentinel;
using RespProxy.TestSupport;
using Xunit;

namespace RespProxy.IntegrationTests.Standalone;

/// <summary>
/// What each socket transport (the proxy's epoll loops, and Kestrel's sockets) must get right at the edges: a client
/// that reads slowly gets every byte while others are served, clients that leave (cleanly, abruptly, or after a
/// half-close) are released, and INFO says which transport runs.
/// </summary>
public sealed class TransportTests(TransportTests.RedisFixture redis) : IClassFixture<TransportTests.RedisFixture>
{
    public sealed class RedisFixture : IAsyncLifetime
    {
        public RedisServerProcess Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await RedisServerProcess.StartAsync();

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }

    private async Task<ProxyTestHost> StartProxyAsync(string transport)
    {
        var proxy = await ProxyTestHost.StartStandaloneAsync(redis.Server.EndPoint, $"--Proxy:Transport={transport}");
        await using var client = await Connect(proxy);
        await Wait.UntilAsync(
            async () => !(await client.CommandAsync("EXISTS", "transport:warmup")).IsError,
            TimeSpan.FromSeconds(15),
            "the proxy to reach its backend");
        return proxy;
    }

    private static Task<RawRespClient> Connect(ProxyTestHost proxy) => RawRespClient.ConnectAsync(proxy.Host, proxy.Port, TimeSpan.FromSeconds(30));

    [Theory]
    [InlineData("Epoll", "epoll")]
    [InlineData("Sockets", "sockets")]
    public async Task Info_reports_the_transport_in_use(string transport, string reported)
    {
        await using var proxy = await StartProxyAsync(transport);
        await using var client = await Connect(proxy);
        var info = await ServerStats.InfoAsync(client, "proxy");
        Assert.Equal(reported, info["proxy_transport"]);
    }

    [Theory]
    [InlineData("Epoll")]
    [InlineData("Sockets")]
    public async Task Slow_reader_gets_every_large_reply_intact_while_others_are_served(string transport)
    {
        await using var proxy = await StartProxyAsync(transport);
        string key = $"transport:slow:{Guid.NewGuid():N}";
        var value = new byte[512 * 1024];
        new Random(7).NextBytes(value);
        await using var writer = await Connect(proxy);
        Assert.Equal("+OK", (await writer.CommandAsync(Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes(key), value)).ToString());

        // 40 replies of 512 KB (20 MB) pile up behind a client that does not read: the proxy's sends hit a full socket
        // buffer and must wait for it to drain, not spin, drop or mix bytes.
        const int Requests = 40;
        var batch = new RespBatch();
        for (int i = 0; i < Requests; i++)
        {
            batch.Add("GET", key);
        }

        await using var slow = await Connect(proxy);
        await slow.SendRawAsync(batch.Bytes);

        // Meanwhile another client is served.
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(":" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), (await writer.CommandAsync("INCR", key + ":counter")).ToString());
        }

        for (int i = 0; i < Requests; i++)
        {
            var reply = await slow.ReadAsync();
            Assert.True(value.AsSpan().SequenceEqual(reply.Bulk), $"reply {i} of {Requests} differs from the 512 KB value");
        }

        Assert.Equal("+PONG", (await slow.CommandAsync("PING")).ToString());
    }

    [Theory]
    [InlineData("Epoll")]
    [InlineData("Sockets")]
    public async Task Clients_that_leave_cleanly_abruptly_or_mid_pipeline_are_released(string transport)
    {
        await using var proxy = await StartProxyAsync(transport);
        await using var observer = await Connect(proxy);
        async Task<long> ConnectedAsync() => long.Parse((await ServerStats.InfoAsync(observer, "proxy"))["proxy_connected_clients"], System.Globalization.CultureInfo.InvariantCulture);
        long baseline = await ConnectedAsync();

        // Clean closes, after a round trip each.
        for (int i = 0; i < 20; i++)
        {
            await using var client = await Connect(proxy);
            Assert.Equal("+PONG", (await client.CommandAsync("PING")).ToString());
        }

        // Abrupt closes (RST), some with a pipeline still being answered.
        var request = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("*1\r\n$4\r\nPING\r\n", 1000)));
        for (int i = 0; i < 20; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(proxy.Host), proxy.Port));
            if (i % 2 == 0)
            {
                await socket.SendAsync(request);
            }

            socket.LingerState = new LingerOption(true, 0);
        }

        await Wait.UntilAsync(
            async () => await ConnectedAsync() == baseline,
            TimeSpan.FromSeconds(15),
            $"proxy_connected_clients to return to {baseline}");
        Assert.Equal("+PONG", (await observer.CommandAsync("PING")).ToString());
    }

    [Theory]
    [InlineData("Epoll")]
    [InlineData("Sockets")]
    public async Task Requests_sent_before_a_half_close_are_answered_before_the_connection_closes(string transport)
    {
        await using var proxy = await StartProxyAsync(transport);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(proxy.Host), proxy.Port));
        string key = $"transport:halfclose:{Guid.NewGuid():N}";
        await socket.SendAsync(Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n${key.Length}\r\n{key}\r\n"));
        socket.Shutdown(SocketShutdown.Send);

        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        Assert.Equal("+OK\r\n$2\r\nv1\r\n", Encoding.ASCII.GetString(received.ToArray()));
    }
}
