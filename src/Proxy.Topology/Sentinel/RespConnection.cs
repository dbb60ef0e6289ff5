using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RespProxy.Resp.Framing;
using RespProxy.Resp.Writing;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>
/// The watcher's own minimal RESP client: one TCP connection, commands written in one batch, replies read in order.
/// Not shared: one caller at a time (enforced), which is how the watcher uses it (one refresh loop; the subscription
/// has its own connection). Any failure or timeout leaves the connection <see cref="IsBroken"/>; the owner disposes
/// it and connects again, so a reply can never be matched to the wrong request.
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    private const int InitialBufferSize = 4 * 1024;
    private const int MaxReplyBytes = 16 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly TimeProvider _time;
    private byte[] _buffer = new byte[InitialBufferSize];
    private int _start;
    private int _end;
    private RespFrameScanner _scanner;
    private int _busy;
    private volatile bool _broken;

    private RespConnection(Socket socket, ServerEndpoint endpoint, TimeProvider time)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _time = time;
        Endpoint = endpoint;
    }

    public ServerEndpoint Endpoint { get; }

    /// <summary>True once a send, read or timeout failed; the connection must then be replaced.</summary>
    public bool IsBroken => _broken;

    /// <summary>Connects within <paramref name="timeout"/> and, when a password is given, authenticates (AUTH [user] pass).</summary>
    public static async Task<RespConnection> ConnectAsync(
        ServerEndpoint endpoint, ConnectionCredentials credentials, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        var address = endpoint.Address;
        var socket = address is null
            ? new Socket(SocketType.Stream, ProtocolType.Tcp)
            : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            EnableKeepAlive(socket);
            if (address is null)
            {
                await socket.ConnectAsync(new DnsEndPoint(endpoint.Host, endpoint.Port), linked.Token).ConfigureAwait(false);
            }
            else
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"connecting to {endpoint} took longer than {timeout.TotalMilliseconds:0} ms");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new RespConnection(socket, endpoint, time);
        try
        {
            if (credentials.Password is not null)
            {
                string[] auth = credentials.User is null ? ["AUTH", credentials.Password] : ["AUTH", credentials.User, credentials.Password];
                var reply = await connection.ExecuteAsync(auth, timeout, cancellationToken).ConfigureAwait(false);
                if (reply.IsError)
                {
                    throw new IOException($"AUTH on {endpoint} failed: {reply.Text}");
                }
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<RespReply> ExecuteAsync(IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var replies = await ExecuteAsync([command], timeout, cancellationToken).ConfigureAwait(false);
        return replies[0];
    }

    /// <summary>Writes every command in one send and reads one reply per command, all within <paramref name="timeout"/>.</summary>
    public async Task<RespReply[]> ExecuteAsync(IReadOnlyList<IReadOnlyList<string>> commands, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException($"The connection to {Endpoint} is already in use.");
        }

        using var timeoutSource = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            await SendAsync(commands, linked.Token).ConfigureAwait(false);
            var replies = new RespReply[commands.Count];
            for (int i = 0; i < replies.Length; i++)
            {
                replies[i] = await ReadReplyAsync(linked.Token).ConfigureAwait(false);
            }

            return replies;
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _broken = true;
            throw new TimeoutException($"{Endpoint} did not answer within {timeout.TotalMilliseconds:0} ms");
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Writes commands without waiting for replies (the subscription's SUBSCRIBE).</summary>
    public async Task SendAsync(IReadOnlyList<IReadOnlyList<string>> commands, CancellationToken cancellationToken)
    {
        var request = new ArrayBufferWriter<byte>(256);
        foreach (var command in commands)
        {
            RespWriter.WriteArrayHeader(request, command.Count);
            foreach (var argument in command)
            {
                RespWriter.WriteBulkString(request, Encoding.UTF8.GetBytes(argument));
            }
        }

        try
        {
            await _stream.WriteAsync(request.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _broken = true;
            throw;
        }
    }

    /// <summary>Reads the next complete reply (or pushed message). Throws <see cref="EndOfStreamException"/> when the peer closed.</summary>
    public async Task<RespReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                if (TryTakeBufferedReply(out var reply))
                {
                    return reply;
                }

                MakeRoom();
                int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new EndOfStreamException($"{Endpoint} closed the connection");
                }

                _end += read;
            }
        }
        catch
        {
            _broken = true;
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        _broken = true;
        return _stream.DisposeAsync();
    }

    public override string ToString() => $"connection to {Endpoint}";

    private bool TryTakeBufferedReply(out RespReply reply)
    {
        reply = RespReply.Nil;
        if (_end == _start)
        {
            return false;
        }

        var pending = new ReadOnlySequence<byte>(_buffer, _start, _end - _start);
        switch (_scanner.TryScan(pending, out long length))
        {
            case ScanResult.Complete:
                reply = RespReplyReader.Read(_buffer.AsSpan(_start, (int)length));
                _start += (int)length;
                if (_start == _end)
                {
                    _start = _end = 0;
                }

                return true;
            case ScanResult.Invalid:
                throw new InvalidDataException($"{Endpoint} sent bytes that are not RESP");
            default:
                return false;
        }
    }

    private void MakeRoom()
    {
        if (_end < _buffer.Length)
        {
            return;
        }

        int pending = _end - _start;
        if (_start > 0)
        {
            // The scanner counts from the frame start, so moving the frame to offset 0 keeps its state valid.
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
            _start = 0;
            _end = pending;
            return;
        }

        if (_buffer.Length >= MaxReplyBytes)
        {
            throw new InvalidDataException($"{Endpoint} sent a reply larger than {MaxReplyBytes} bytes");
        }

        Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxReplyBytes));
    }

    private static void EnableKeepAlive(Socket socket)
    {
        // A subscription can sit idle for hours; keepalive notices a peer that vanished without closing.
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 3);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }
        catch (SocketException)
        {
            // Not every platform takes the fine-grained settings; plain keepalive still helps.
        }
        catch (PlatformNotSupportedException)
        {
        }
    }
}

/// <summary>Optional AUTH credentials for one kind of server (sentinels or redis servers).</summary>
internal sealed record ConnectionCredentials(string? User, string? Password)
{
    public static readonly ConnectionCredentials None = new(null, null);
}
