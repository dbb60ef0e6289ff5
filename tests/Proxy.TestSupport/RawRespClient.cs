using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RespProxy.TestSupport;

/// <summary>
/// A minimal RESP client over one TCP connection. It sends exactly the bytes a test asks for and reads replies
/// with its own small parser, so tests can check the proxy byte-for-byte (pipelining, malformed input,
/// connection closing) without trusting a full client library or the proxy's own parser.
/// Sending and reading may overlap (one send and one read at a time), which is how pipelining tests work.
/// </summary>
public sealed class RawRespClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private const int InitialBufferSize = 64 * 1024;

    private readonly NetworkStream _stream;
    private readonly TimeSpan _timeout;
    private byte[] _buffer = new byte[InitialBufferSize];
    private int _bufferedStart;
    private int _bufferedEnd;
    private bool _peerClosed;

    private RawRespClient(Socket socket, string host, int port, TimeSpan timeout)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        _timeout = timeout;
        Host = host;
        Port = port;
        LocalEndPoint = socket.LocalEndPoint?.ToString() ?? "";
    }

    public string Host { get; }

    public int Port { get; }

    /// <summary>"ip:port" of this side of the connection, e.g. to find it in CLIENT LIST.</summary>
    public string LocalEndPoint { get; }

    public static async Task<RawRespClient> ConnectAsync(string host, int port, TimeSpan? timeout = null)
    {
        var address = LoopbackGuard.Parse(host);
        var effectiveTimeout = timeout ?? DefaultTimeout;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = new CancellationTokenSource(effectiveTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"Connecting to {host}:{port} did not complete within {effectiveTimeout.TotalSeconds:0.###} s.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RawRespClient(socket, host, port, effectiveTimeout);
    }

    public Task SendRawAsync(string ascii) => SendRawAsync(Encoding.ASCII.GetBytes(ascii));

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        using var deadline = new CancellationTokenSource(_timeout);
        try
        {
            await _stream.WriteAsync(bytes, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"Sending {bytes.Length} bytes to {Host}:{Port} did not complete within {_timeout.TotalSeconds:0.###} s.");
        }
    }

    public Task SendCommandAsync(params string[] args) => SendRawAsync(RespCommandEncoder.Encode(args));

    public Task SendCommandAsync(params byte[][] args) => SendRawAsync(RespCommandEncoder.Encode(args));

    public async Task<RespValue> CommandAsync(params string[] args)
    {
        await SendCommandAsync(args).ConfigureAwait(false);
        return await ReadAsync().ConfigureAwait(false);
    }

    public async Task<RespValue> CommandAsync(params byte[][] args)
    {
        await SendCommandAsync(args).ConfigureAwait(false);
        return await ReadAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Reads one complete reply. Throws <see cref="TimeoutException"/> when none arrives in time (the client stays
    /// usable: partial bytes stay buffered) and <see cref="EndOfStreamException"/> when the server closed first.
    /// </summary>
    public async Task<RespValue> ReadAsync()
    {
        using var deadline = new CancellationTokenSource(_timeout);
        while (true)
        {
            if (TryTakeBufferedReply(out var reply))
            {
                return reply;
            }

            if (_peerClosed)
            {
                throw new EndOfStreamException(
                    $"{Host}:{Port} closed the connection before a complete reply arrived ({BufferedCount} bytes pending: {BufferedPreview()}).");
            }

            try
            {
                await ReceiveMoreAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"No complete reply from {Host}:{Port} within {_timeout.TotalSeconds:0.###} s ({BufferedCount} bytes pending: {BufferedPreview()}).");
            }
        }
    }

    /// <summary>
    /// True when the peer closes the connection within <paramref name="timeout"/>. Replies that arrive meanwhile
    /// are kept, so <see cref="ReadAsync"/> can still return them (e.g. an error sent right before closing).
    /// </summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (!_peerClosed)
            {
                await ReceiveMoreAsync(deadline.Token).ConfigureAwait(false);
            }

            return true;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();

    private int BufferedCount => _bufferedEnd - _bufferedStart;

    private bool TryTakeBufferedReply(out RespValue reply)
    {
        if (RespReplyParser.TryParse(_buffer.AsSpan(_bufferedStart, BufferedCount), out var parsed, out var consumed))
        {
            _bufferedStart += consumed;
            if (_bufferedStart == _bufferedEnd)
            {
                _bufferedStart = _bufferedEnd = 0;
            }

            reply = parsed!;
            return true;
        }

        reply = null!;
        return false;
    }

    /// <summary>Appends whatever the socket has next to the buffer; marks the peer closed on EOF or reset.</summary>
    private async Task ReceiveMoreAsync(CancellationToken cancellationToken)
    {
        MakeRoomForMoreBytes();
        int read;
        try
        {
            read = await _stream.ReadAsync(_buffer.AsMemory(_bufferedEnd), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            // A server that closes with unread input sends RST instead of FIN; for tests both mean "closed".
            read = 0;
        }

        if (read == 0)
        {
            _peerClosed = true;
        }

        _bufferedEnd += read;
    }

    private void MakeRoomForMoreBytes()
    {
        if (_bufferedEnd < _buffer.Length)
        {
            return;
        }

        if (_bufferedStart > 0)
        {
            Buffer.BlockCopy(_buffer, _bufferedStart, _buffer, 0, BufferedCount);
            _bufferedEnd -= _bufferedStart;
            _bufferedStart = 0;
            return;
        }

        Array.Resize(ref _buffer, _buffer.Length * 2);
    }

    private string BufferedPreview()
    {
        const int MaxPreviewBytes = 120;
        var preview = Encoding.ASCII.GetString(_buffer, _bufferedStart, Math.Min(BufferedCount, MaxPreviewBytes));
        return "\"" + preview.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
    }
}
