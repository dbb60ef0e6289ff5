using System.Buffers;
using System.Net;
using System.Net.Sockets;
using RespProxy.Transport;
using Xunit;

namespace RespProxy.IntegrationTests.Transport;

/// <summary>
/// The io_uring batch behaves as the non-blocking calls it replaces: every operation is done when Submit returns,
/// with the byte counts and errors (EAGAIN, EPIPE) recv/send/sendmsg would give, over real loopback TCP sockets.
/// </summary>
public sealed class SystemCallBatchTests : IDisposable
{
    private const int EAGAIN = 11;

    private readonly List<Socket> _sockets = [];
    private readonly SystemCallBatch _batch;

    public SystemCallBatchTests()
    {
        _batch = SystemCallBatch.TryCreate(out string? refusal)
            ?? throw new InvalidOperationException("io_uring is available on this machine, but: " + refusal);
    }

    [Fact]
    public void Sends_and_receives_on_several_sockets_complete_in_one_submit()
    {
        var pairs = Enumerable.Range(0, 5).Select(_ => ConnectedPair()).ToArray();
        var senders = new RecordingSender[pairs.Length];
        for (int i = 0; i < pairs.Length; i++)
        {
            senders[i] = new RecordingSender();
            var data = new ReadOnlySequence<byte>(Payload(i, 100 + i));
            Assert.Equal(100 + i, _batch.QueueSend(pairs[i].Client.SafeHandle, Fd(pairs[i].Client), data, senders[i]));
        }

        Assert.Equal(pairs.Length, _batch.Count);
        _batch.Submit();
        Assert.Equal(0, _batch.Count);
        for (int i = 0; i < pairs.Length; i++)
        {
            Assert.Equal([100L + i], senders[i].Results);
        }

        WaitReadable(pairs.Select(pair => pair.Server));
        var buffers = new byte[pairs.Length][];
        var indexes = new int[pairs.Length];
        for (int i = 0; i < pairs.Length; i++)
        {
            buffers[i] = new byte[1024];
            indexes[i] = _batch.QueueReceive(pairs[i].Server.SafeHandle, Fd(pairs[i].Server), buffers[i]);
            Assert.Equal(i, indexes[i]);
        }

        _batch.Submit();
        for (int i = 0; i < pairs.Length; i++)
        {
            Assert.Equal(100 + i, _batch.Result(indexes[i]));
            Assert.Equal(Payload(i, 100 + i), buffers[i][..(100 + i)]);
        }
    }

    // One operation is made as a plain call, several in one io_uring_enter: the results must not tell them apart.
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_receive_with_nothing_to_read_gives_EAGAIN_and_does_not_wait(int sockets)
    {
        var indexes = Enumerable.Range(0, sockets)
            .Select(_ => ConnectedPair().Server)
            .Select(server => _batch.QueueReceive(server.SafeHandle, Fd(server), new byte[64]))
            .ToArray();
        _batch.Submit();
        Assert.All(indexes, index => Assert.Equal(-EAGAIN, _batch.Result(index)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_send_of_several_segments_leaves_in_order_in_one_operation(int sockets)
    {
        var pairs = Enumerable.Range(0, sockets).Select(_ => ConnectedPair()).ToArray();
        var parts = new[] { Payload(1, 10), Payload(2, 20_000), Payload(3, 5) };
        var sender = new RecordingSender();
        foreach (var (client, _) in pairs)
        {
            Assert.Equal(20_015, _batch.QueueSend(client.SafeHandle, Fd(client), TestFrames.Segmented(parts), sender));
        }

        _batch.Submit();
        Assert.Equal(Enumerable.Repeat(20_015L, sockets), sender.Results);
        foreach (var (_, server) in pairs)
        {
            Assert.Equal(parts.SelectMany(part => part).ToArray(), ReceiveExactly(server, 20_015));
        }
    }

    [Fact]
    public void A_send_to_a_full_socket_sends_a_prefix_then_gives_EAGAIN()
    {
        var (client, server) = ConnectedPair(bufferSize: 16 * 1024);
        var data = new ReadOnlySequence<byte>(new byte[4 * 1024 * 1024]);
        var sender = new RecordingSender();
        long sent = 0;
        for (int submits = 0; submits < 100 && sender.Results.LastOrDefault(1) > 0; submits++)
        {
            _batch.QueueSend(client.SafeHandle, Fd(client), data.Slice(sent), sender);
            _batch.Submit();
            sent += Math.Max(0, sender.Results[^1]);
        }

        // Prefixes while the peer's buffers had room (nobody reads them), then EAGAIN, as send(2) with MSG_DONTWAIT.
        Assert.Equal(-EAGAIN, sender.Results[^1]);
        Assert.All(sender.Results.SkipLast(1), result => Assert.InRange(result, 1, data.Length - 1));
        Assert.InRange(sent, 1, data.Length - 1);
        GC.KeepAlive(server);
    }

    [Fact]
    public void A_send_to_a_closed_peer_fails_with_an_error_not_a_signal()
    {
        var (client, server) = ConnectedPair();
        server.LingerState = new LingerOption(true, 0);
        server.Close(); // RST: the client's sends fail from now on
        var sender = new RecordingSender();
        long queued;
        do
        {
            sender.Results.Clear();
            queued = _batch.QueueSend(client.SafeHandle, Fd(client), new ReadOnlySequence<byte>(new byte[100]), sender);
            Assert.Equal(100, queued);
            _batch.Submit();
        }
        while (sender.Results[0] > 0 && sender.Results.Count < 100);

        Assert.True(sender.Results[0] < 0 && sender.Results[0] != -EAGAIN, $"send after the peer's reset gave {sender.Results[0]}");
    }

    [Fact]
    public void A_closed_socket_is_refused_at_queueing()
    {
        var (client, _) = ConnectedPair();
        int fd = Fd(client);
        client.Dispose();
        Assert.Equal(0, _batch.QueueSend(client.SafeHandle, fd, new ReadOnlySequence<byte>(new byte[1]), new RecordingSender()));
        Assert.Equal(-1, _batch.QueueReceive(client.SafeHandle, fd, new byte[1]));
        Assert.Equal(0, _batch.Count);
    }

    [Fact]
    public void A_sender_may_queue_its_next_send_from_its_completion()
    {
        var (client, server) = ConnectedPair();
        var second = new ReadOnlySequence<byte>(Payload(9, 50));
        var sender = new RecordingSender();
        sender.OnFirst = () => Assert.Equal(50, _batch.QueueSend(client.SafeHandle, Fd(client), second, sender));
        _batch.QueueSend(client.SafeHandle, Fd(client), new ReadOnlySequence<byte>(Payload(8, 30)), sender);
        _batch.Submit();
        Assert.Equal(1, _batch.Count);
        _batch.Submit();
        Assert.Equal([30L, 50L], sender.Results);
        Assert.Equal([.. Payload(8, 30), .. Payload(9, 50)], ReceiveExactly(server, 80));
    }

    [Fact]
    public void A_full_batch_refuses_more_until_submitted()
    {
        var (client, server) = ConnectedPair();
        var sender = new RecordingSender();
        for (int i = 0; i < SystemCallBatch.Capacity; i++)
        {
            Assert.Equal(1, _batch.QueueSend(client.SafeHandle, Fd(client), new ReadOnlySequence<byte>(new byte[1]), sender));
        }

        Assert.Equal(0, _batch.QueueSend(client.SafeHandle, Fd(client), new ReadOnlySequence<byte>(new byte[1]), sender));
        Assert.Equal(-1, _batch.QueueReceive(server.SafeHandle, Fd(server), new byte[1]));
        _batch.Submit();
        Assert.Equal(SystemCallBatch.Capacity, sender.Results.Count(result => result == 1));
        Assert.Equal(SystemCallBatch.Capacity, ReceiveExactly(server, SystemCallBatch.Capacity).Length);
    }

    public void Dispose()
    {
        _batch.Dispose();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }

    private (Socket Client, Socket Server) ConnectedPair(int? bufferSize = null)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (bufferSize is { } size)
        {
            client.SendBufferSize = size;
        }

        client.Connect(listener.LocalEndPoint!);
        var server = listener.Accept();
        if (bufferSize is { } receiveSize)
        {
            server.ReceiveBufferSize = receiveSize;
        }

        _sockets.Add(client);
        _sockets.Add(server);
        return (client, server);
    }

    private static int Fd(Socket socket) => (int)socket.Handle;

    private static byte[] Payload(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static void WaitReadable(IEnumerable<Socket> sockets)
    {
        foreach (var socket in sockets)
        {
            Assert.True(socket.Poll(TimeSpan.FromSeconds(10), SelectMode.SelectRead), "loopback data arrives");
        }
    }

    private static byte[] ReceiveExactly(Socket socket, int length)
    {
        var buffer = new byte[length];
        socket.ReceiveTimeout = 10_000;
        for (int received = 0; received < length;)
        {
            int read = socket.Receive(buffer, received, length - received, SocketFlags.None);
            Assert.True(read > 0, "the peer closed early");
            received += read;
        }

        return buffer;
    }

    private sealed class RecordingSender : IBatchedSend
    {
        public List<long> Results { get; } = [];

        public Action? OnFirst { get; set; }

        public void OnSent(long result)
        {
            Results.Add(result);
            if (Results.Count == 1)
            {
                OnFirst?.Invoke();
            }
        }
    }
}
