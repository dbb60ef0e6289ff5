using System.Net;
using System.Net.Sockets;
using System.Text;
using RespProxy.Topology.Model;
using RespProxy.Topology.Sentinel;
using Xunit;

namespace RespProxy.Topology.Tests.Sentinel;

/// <summary>The watcher's client against a scripted loopback peer: reply matching, big replies, timeouts, AUTH.</summary>
public sealed class RespConnectionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Pipelined_replies_are_matched_in_order_including_one_larger_than_the_buffer()
    {
        string big = new('x', 200_000);
        await using var peer = FakePeer.Start(async (stream, requests) =>
        {
            await requests.ReadCommandsAsync(2);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"+PONG\r\n${big.Length}\r\n{big}\r\n"));
        });

        await using var connection = await Connect(peer);
        var replies = await connection.ExecuteAsync([["PING"], ["GET", "big"]], Timeout, CancellationToken.None);

        Assert.Equal("PONG", replies[0].Text);
        Assert.Equal(big, replies[1].Text);
        Assert.False(connection.IsBroken);
        Assert.Equal("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n", peer.Received);
    }

    [Fact]
    public async Task A_peer_that_never_answers_times_out_and_breaks_the_connection()
    {
        await using var peer = FakePeer.Start((_, requests) => requests.ReadCommandsAsync(1));

        await using var connection = await Connect(peer);
        await Assert.ThrowsAsync<TimeoutException>(
            () => connection.ExecuteAsync(["PING"], TimeSpan.FromMilliseconds(200), CancellationToken.None));

        Assert.True(connection.IsBroken);
    }

    [Fact]
    public async Task A_refused_password_fails_the_connect()
    {
        await using var peer = FakePeer.Start(async (stream, requests) =>
        {
            await requests.ReadCommandsAsync(1);
            await stream.WriteAsync("-WRONGPASS invalid username-password pair\r\n"u8.ToArray());
        });

        var error = await Assert.ThrowsAsync<IOException>(() => RespConnection.ConnectAsync(
            peer.Endpoint, new ConnectionCredentials("proxy", "secret"), Timeout, TimeProvider.System, CancellationToken.None));

        Assert.Contains("WRONGPASS", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("*3\r\n$4\r\nAUTH\r\n$5\r\nproxy\r\n$6\r\nsecret\r\n", peer.Received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_connection_surfaces_as_end_of_stream()
    {
        await using var peer = FakePeer.Start((_, requests) => requests.ReadCommandsAsync(1));

        await using var connection = await Connect(peer);
        var pending = connection.ExecuteAsync(["PING"], Timeout, CancellationToken.None);
        await peer.Script; // the script returned: the peer closes its side
        peer.CloseClient();

        await Assert.ThrowsAsync<EndOfStreamException>(() => pending);
        Assert.True(connection.IsBroken);
    }

    private static Task<RespConnection> Connect(FakePeer peer) =>
        RespConnection.ConnectAsync(peer.Endpoint, ConnectionCredentials.None, Timeout, TimeProvider.System, CancellationToken.None);

    /// <summary>Accepts one connection and runs a script on it; records what the client sent.</summary>
    private sealed class FakePeer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly TaskCompletionSource<Socket> _client = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly RequestReader _requests = new();

        private FakePeer(TcpListener listener) => _listener = listener;

        public ServerEndpoint Endpoint => new("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);

        public Task Script { get; private set; } = Task.CompletedTask;

        public string Received => _requests.Text;

        public static FakePeer Start(Func<NetworkStream, RequestReader, Task> script)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var peer = new FakePeer(listener);
            peer.Script = peer.RunAsync(script);
            return peer;
        }

        public void CloseClient()
        {
            if (_client.Task.IsCompletedSuccessfully)
            {
                _client.Task.Result.Close();
            }
        }

        public async ValueTask DisposeAsync()
        {
            CloseClient();
            _listener.Stop();
            try
            {
                await Script;
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task RunAsync(Func<NetworkStream, RequestReader, Task> script)
        {
            var socket = await _listener.AcceptSocketAsync();
            _client.SetResult(socket);
            var stream = new NetworkStream(socket, ownsSocket: false);
            _requests.Attach(stream);
            await script(stream, _requests);
        }
    }

    /// <summary>Reads the client's bytes until a given number of commands (arrays) arrived.</summary>
    private sealed class RequestReader
    {
        private readonly StringBuilder _text = new();
        private NetworkStream? _stream;

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public void Attach(NetworkStream stream) => _stream = stream;

        public async Task ReadCommandsAsync(int count)
        {
            var buffer = new byte[4096];
            while (CountCommands() < count)
            {
                int read = await _stream!.ReadAsync(buffer);
                if (read == 0)
                {
                    return;
                }

                lock (_text)
                {
                    _text.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
            }
        }

        // Every command starts with a "*n" line; no argument used in these tests starts with '*'.
        private int CountCommands() => Text.Split("\r\n").Count(line => line.StartsWith('*'));
    }
}
