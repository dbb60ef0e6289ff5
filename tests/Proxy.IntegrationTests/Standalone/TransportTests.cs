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
/// half-close) are released, a client that pipelines far ahead of its replies cannot make the proxy buffer without
/// bound, and INFO says which transport runs. The epoll transport is run both with its io_uring batching of system
/// calls and without it (the path taken where the kernel refuses io_uring).
/// </summary>
public sealed class TransportTests(TransportTests.RedisFixture redis) : IClassFixture<TransportTests.RedisFixture>
{
    public sealed class RedisFixture : IAsyncLifetime
    {
        public RedisServerProcess Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await RedisServerProcess.StartAsync();

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }

    // "EpollUnbatched": the epoll transport making one system call per receive and send, as where io_uring is refused.
    private async Task<ProxyTestHost> StartProxyAsync(string transport, params string[] extraArgs)
    {
        string[] transportArgs = transport == "EpollUnbatched"
            ? ["--Proxy:Transport=Epoll", "--Proxy:BatchSystemCalls=false"]
            : [$"--Proxy:Transport={transport}"];
        var proxy = await ProxyTestHost.StartStandaloneAsync(redis.Server.EndPoint, [.. transportArgs, .. extraArgs]);
        await using var client = await Connect(proxy);
        await Wait.UntilAsync(
            async () => !(await client.CommandAsync("EXISTS", "transport:warmup")).IsError,
            TimeSpan.FromSeconds(15),
            "the proxy to reach its backend");
        return proxy;
    }

    private static Task<RawRespClient> Connect(ProxyTestHost proxy) => RawRespClient.ConnectAsync(proxy.Host, proxy.Port, TimeSpan.FromSeconds(30));

    // A plain socket, for what a RESP client cannot do: reset, half-close, write without reading.
    private static async Task<Socket> ConnectSocketAsync(ProxyTestHost proxy, int? bufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (bufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
            socket.SendBufferSize = size;
        }

        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(proxy.Host), proxy.Port));
        return socket;
    }

    [Theory]
    [InlineData("Epoll", "epoll", true)]
    [InlineData("EpollUnbatched", "epoll", false)]
    [InlineData("Sockets", "sockets", false)]
    public async Task Info_reports_the_transport_in_use(string transport, string reported, bool batched)
    {
        await using var proxy = await StartProxyAsync(transport);
        await using var client = await Connect(proxy);
        var info = await ServerStats.InfoAsync(client, "proxy");
        Assert.Equal(reported, info["proxy_transport"]);

        // Batched wherever the kernel allows io_uring (this machine's does; a seccomp profile may refuse it).
        Assert.Equal(batched && RespProxy.Transport.SystemCallBatch.IsAvailable ? "io_uring" : "off", info["proxy_syscall_batching"]);
    }

    [Theory]
    [InlineData("Epoll")]
    [InlineData("EpollUnbatched")]
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
    [InlineData("EpollUnbatched")]
    [InlineData("Sockets")]
    public async Task Clients_that_leave_cleanly_abruptly_or_mid_pipeline_are_released(string transport)
    {
        await using var proxy = await StartProxyAsync(transport);
        await using var observer = await Connect(proxy);
        async Task<long> ConnectedAsync() => long.Parse((await ServerStats.InfoAsync(observer, "proxy"))["proxy_connected_clients"], System.Globalization.CultureInfo.InvariantCulture);

        // Only the observer stays. Not a count read now: StartProxyAsync's warm-up client has closed, but the proxy may
        // not have released it yet, and a baseline that includes it is never reached again.
        const long baseline = 1;
        await Wait.UntilAsync(
            async () => await ConnectedAsync() == baseline,
            TimeSpan.FromSeconds(15),
            "the warm-up client to be released");

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
            using var socket = await ConnectSocketAsync(proxy);
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
    [InlineData("EpollUnbatched")]
    [InlineData("Sockets")]
    public async Task Requests_sent_before_a_half_close_are_answered_before_the_connection_closes(string transport)
    {
        await using var proxy = await StartProxyAsync(transport);
        using var socket = await ConnectSocketAsync(proxy);
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

    [Theory]
    [InlineData("Epoll")]
    [InlineData("EpollUnbatched")]
    public async Task Epoll_stops_reading_a_client_that_is_far_ahead_of_its_replies_and_answers_all_once_it_reads(string transport)
    {
        await using var proxy = await StartProxyAsync(transport);
        string key = $"transport:flood:{Guid.NewGuid():N}";
        string value = new('x', 512);
        await using (var setter = await Connect(proxy))
        {
            Assert.Equal("+OK", (await setter.CommandAsync("SET", key, value)).ToString());
        }

        // Replies much larger than requests, and small client buffers: the kernel soon holds all the replies it can,
        // so what the client can still send afterwards lands in the proxy, unless the proxy stops reading.
        var request = new RespBatch().Add("GET", key).Bytes.ToArray();
        using var socket = await ConnectSocketAsync(proxy, bufferSize: 64 * 1024);

        // Up to 256 MB of GETs without reading a reply. Once 4096 replies are owed the proxy stops reading, so the
        // kernel's socket buffers fill and the sends stall after a few MB instead of landing in the proxy's memory.
        long sent = await Task.Run(() => Flood(socket, request, limit: 256L << 20));
        Assert.True(sent < 32L << 20, $"the proxy took {sent:N0} bytes from a client that read no reply");

        // Now read: every GET is answered, in order, followed by the PING sent last.
        var reply = Encoding.ASCII.GetBytes($"$512\r\n{value}\r\n");
        long requests = (sent + request.Length - 1) / request.Length;
        var reading = Task.Run(() => ReadExactly(socket, requests, reply, "+PONG\r\n"u8.ToArray()));
        socket.Blocking = true;
        int partial = (int)(sent % request.Length);
        if (partial != 0)
        {
            socket.Send(request, partial, request.Length - partial, SocketFlags.None);
        }

        socket.Send("*1\r\n$4\r\nPING\r\n"u8);
        await reading.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData("Epoll")]
    [InlineData("EpollUnbatched")]
    public async Task Stopping_the_proxy_while_clients_owe_it_reads_completes_and_closes_them(string transport)
    {
        // The host's grace period for open connections (30 s by default) is cut short: these clients never finish.
        var proxy = await StartProxyAsync(transport, "--shutdownTimeoutSeconds=2");
        string key = $"transport:stop:{Guid.NewGuid():N}";
        await using (var setter = await Connect(proxy))
        {
            Assert.Equal("+OK", (await setter.CommandAsync("SET", key, new string('x', 64 * 1024))).ToString());
        }

        // Clients that pipeline GETs of 64 KB and read nothing: when the proxy stops, its loops still hold replies
        // they cannot send, and ending the clients' input makes their sessions write and flush on the loop thread.
        var pipeline = new RespBatch();
        for (int i = 0; i < 64; i++)
        {
            pipeline.Add("GET", key);
        }

        var sockets = new List<Socket>();
        for (int i = 0; i < 4; i++)
        {
            var socket = await ConnectSocketAsync(proxy, bufferSize: 64 * 1024);
            await socket.SendAsync(pipeline.Bytes);
            Assert.True(socket.Poll(TimeSpan.FromSeconds(15), SelectMode.SelectRead), "the proxy starts answering");
            sockets.Add(socket);
        }

        await proxy.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));

        // Every client sees its connection end (after whatever replies were already on their way).
        var buffer = new byte[64 * 1024];
        foreach (var socket in sockets)
        {
            socket.Blocking = true;
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                while (await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
                {
                }
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset)
            {
            }

            socket.Dispose();
        }
    }

    [Fact]
    public async Task Sockets_transport_closes_a_client_whose_unread_input_passes_the_query_buffer_limit()
    {
        // Kestrel's sockets cannot stop reading one connection, so there the query buffer limit bounds what a client
        // far ahead of its replies may leave buffered, as Redis bounds unprocessed input (and closes, as Redis does).
        await using var proxy = await StartProxyAsync("Sockets", "--Proxy:MaxQueryBufferBytes=4194304");
        var request = new RespBatch().Add("GET", "transport:flood:missing").Bytes.ToArray();
        using var socket = await ConnectSocketAsync(proxy);
        await Task.Run(() => Flood(socket, request, limit: 256L << 20));

        socket.Blocking = true;
        var buffer = new byte[64 * 1024];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
            {
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset)
        {
        }

        await using var other = await Connect(proxy);
        Assert.Equal("+PONG", (await other.CommandAsync("PING")).ToString());
    }

    // Sends copies of one request until `limit` bytes went out, the socket accepted nothing for three seconds (the
    // peer stopped reading), or the peer closed the connection; returns the bytes sent.
    private static long Flood(Socket socket, byte[] request, long limit)
    {
        var chunk = new byte[request.Length * 4096];
        for (int i = 0; i < chunk.Length; i += request.Length)
        {
            request.CopyTo(chunk, i);
        }

        socket.Blocking = false;
        long sent = 0;
        while (sent < limit)
        {
            int offset = (int)(sent % chunk.Length);
            int count = socket.Send(chunk, offset, chunk.Length - offset, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                if (!socket.Poll(TimeSpan.FromSeconds(3), SelectMode.SelectWrite))
                {
                    break;
                }

                continue;
            }

            if (error != SocketError.Success)
            {
                break;
            }

            sent += count;
        }

        return sent;
    }

    // Reads `count` copies of `reply` then `last`, and checks every byte.
    private static void ReadExactly(Socket socket, long count, byte[] reply, byte[] last)
    {
        long expected = count * reply.Length + last.Length;
        var buffer = new byte[64 * 1024];
        long position = 0;
        while (position < expected)
        {
            int read = socket.Receive(buffer);
            Assert.True(read > 0, $"the proxy closed the connection after {position:N0} of {expected:N0} reply bytes");
            for (int i = 0; i < read; i++, position++)
            {
                long replyBytes = count * reply.Length;
                byte wanted = position < replyBytes ? reply[position % reply.Length] : last[position - replyBytes];
                if (buffer[i] != wanted)
                {
                    Assert.Fail($"reply byte {position:N0} differs");
                }
            }
        }
    }
}
