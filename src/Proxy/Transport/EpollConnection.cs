using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using static RespProxy.Transport.LinuxSockets;

namespace RespProxy.Transport;

/// <summary>
/// A TCP connection served by an <see cref="EpollLoop"/>: bytes received go into the input pipe on the loop thread
/// (the application's pipe reader runs inline there), and whatever thread flushes the output pipe sends the bytes
/// itself, waiting for EPOLLOUT only when the socket buffer is full.
/// </summary>
/// <remarks>
/// The socket stays owned by a .NET <see cref="Socket"/>, whose handle is referenced around every call, so closing it
/// can never hand its descriptor number to another socket in the middle of a recv or send. .NET's own socket engine
/// never sees the descriptor: no asynchronous .NET operation is ever started on it.
/// </remarks>
internal sealed partial class EpollConnection : ConnectionContext, IReceivePauseFeature, IDirectSendFeature
{
    private const int MinimumReceive = 2048;

    // Full reads taken from a client for one readiness event before the loop moves on to other sockets
    // (level-triggered epoll reports this one again): a client streaming a huge pipeline cannot keep the others waiting.
    // 256 KB: with 64 KB, a pipeline of 64 KB SETs reached the backend about one request per loop turn, so each reply
    // came back alone and went to its client in a send of its own (0.70 sends per SET at pipeline 16 against
    // 0.18, and a fifth less throughput; docs/BENCHMARKS.md). Pipelines of small requests end their turn sooner, on a
    // short read.
    // A connection this proxy opened (to a backend) is read until it is empty instead: it carries the replies of every
    // client. Stopping at 64 KB while a server had more to send made each later read wake the server to send again,
    // and on a core shared with it this thread was preempted about once per 64 KB reply (0.7 preemptions and one
    // epoll_wait per GET of 64 KB values, against 0.09 and 0.06 when read to the end; docs/BENCHMARKS.md).
    private const int MaxReadsPerClientEvent = 16;
    private const int ReadUntilEmpty = int.MaxValue;

    // The output's writer pauses once the socket is 64 KB behind it, until it is less than 32 KB behind; the input
    // never pauses: the session bounds what a client may buffer (Redis's limits), not the transport.
    private const long OutputPauseThreshold = 64 * 1024;
    private const long OutputResumeThreshold = 32 * 1024;

    private static long s_lastToken;

    private readonly Socket _socket;
    private readonly SafeSocketHandle _handle;
    private readonly EpollLoop _loop;
    private readonly LockFreePipe _input = new(BlockMemoryPool.Shared, BlockMemoryPool.BlockSize);
    private readonly LockFreePipe _output = new(BlockMemoryPool.Shared, BlockMemoryPool.BlockSize, OutputPauseThreshold, OutputResumeThreshold);
    private readonly CancellationTokenSource _closed = new();
    private readonly Lock _interestLock = new();
    private readonly TaskCompletionSource _removed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _writable;
    private Task _sending = Task.CompletedTask;
    private uint _interest;
    private bool _registered;
    private volatile bool _receivePaused;
    private int _maxReadsPerEvent = MaxReadsPerClientEvent;
    private long _bytesSent;
    private BatchedSend? _batchedSend;
    private bool _connecting;
    private int _receiveEnded;
    private int _aborted;
    private int _disposed;
    private string? _connectionId;

    private EpollConnection(Socket socket, EpollLoop loop)
    {
        _socket = socket;
        _handle = socket.SafeHandle;
        _loop = loop;
        Fd = (int)_handle.DangerousGetHandle();
        Token = (ulong)Interlocked.Increment(ref s_lastToken);
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        Features.Set<IDirectSendFeature>(this);
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
    }

    public int Fd { get; }

    public ulong Token { get; }

    public override string ConnectionId
    {
        get => _connectionId ??= "epoll-" + Token.ToString(System.Globalization.CultureInfo.InvariantCulture);
        set => _connectionId = value;
    }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get => _closed.Token;
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Serves an accepted (or connected) socket on <paramref name="loop"/>. With <paramref name="receivePaused"/>
    /// nothing is read until <see cref="ResumeReceiving"/>: an accepted client waits for its session to start
    /// (which a busy thread pool may delay) in the kernel's buffers, not in the proxy's memory.
    /// </summary>
    public static EpollConnection Start(Socket socket, EpollLoop loop, bool receivePaused = false) =>
        Start(new EpollConnection(socket, loop), receivePaused);

    private static EpollConnection Start(EpollConnection connection, bool receivePaused)
    {
        var loop = connection._loop;
        connection._receivePaused = receivePaused;
        connection._interest = receivePaused ? 0 : EPOLLIN;
        connection.Features.Set<IReceivePauseFeature>(connection);
        connection._sending = connection.SendLoopAsync();
        loop.Post(() => connection.Register());
        return connection;
    }

    /// <summary>
    /// Connects a non-blocking socket through the loop: the connect is started here and its completion (EPOLLOUT) is
    /// awaited on the loop, so .NET's socket engine never registers the descriptor.
    /// </summary>
    public static async Task<EpollConnection> ConnectAsync(EndPoint endpoint, EpollLoop loop, CancellationToken token)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, Blocking = false };
        EpollConnection? connection = null;
        try
        {
            try
            {
                socket.Connect(endpoint);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress or SocketError.AlreadyInProgress)
            {
                // In progress: completion shows as EPOLLOUT (or EPOLLERR).
                connection = new EpollConnection(socket, loop) { _connecting = true, _interest = EPOLLOUT, _maxReadsPerEvent = ReadUntilEmpty };
                var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                connection._writable = connected;
                loop.Post(() => connection.Register());
                using (token.Register(static state => ((TaskCompletionSource)state!).TrySetCanceled(), connected))
                {
                    await connected.Task;
                }

                int error = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error != 0)
                {
                    throw new SocketException(error);
                }

                connection.FinishConnecting();
                return connection;
            }

            return Start(new EpollConnection(socket, loop) { _maxReadsPerEvent = ReadUntilEmpty }, receivePaused: false);
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    private void FinishConnecting()
    {
        LocalEndPoint = _socket.LocalEndPoint;
        RemoteEndPoint = _socket.RemoteEndPoint;
        _sending = SendLoopAsync();
        lock (_interestLock)
        {
            _connecting = false;
            _interest = EPOLLIN;
            if (_registered)
            {
                _loop.Modify(this, _interest);
            }
        }
    }

    private void Register()
    {
        lock (_interestLock)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            _registered = true;
            _loop.Add(this, _interest);
        }
    }

    /// <summary>The loop is shutting down (on its thread): no more events, and the descriptor set is closing.</summary>
    internal void DetachFromStoppedLoop()
    {
        lock (_interestLock)
        {
            _registered = false;
        }

        EndReceive(new ConnectionAbortedException("the proxy is shutting down"));
        Interlocked.Exchange(ref _writable, null)?.TrySetResult();
    }

    internal void OnRegistrationFailed(int errno)
    {
        _registered = false;
        var error = new ConnectionResetException(Marshal.GetPInvokeErrorMessage(errno));
        EndReceive(error);
        Interlocked.Exchange(ref _writable, null)?.TrySetException(error);
    }

    /// <summary>An event whose socket was not read in its loop's batch.</summary>
    internal const int NotReceived = int.MinValue;

    /// <summary>
    /// Loop thread, before the turn's events are handled: queues this event's first read in <paramref name="batch"/>
    /// and returns its index there, or <see cref="NotReceived"/> when the event has nothing to read (or the batch is
    /// full). The read goes into the input's next buffer, which stays the same until <see cref="OnEvents"/> advances it.
    /// </summary>
    internal int QueueReceive(SystemCallBatch batch, uint events)
    {
        if (!WantsReceive(events))
        {
            return NotReceived;
        }

        int index = batch.QueueReceive(_handle, Fd, _input.Writer.GetMemory(MinimumReceive));
        return index < 0 ? NotReceived : index;
    }

    private bool WantsReceive(uint events) =>
        !_connecting && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && Volatile.Read(ref _receiveEnded) == 0;

    /// <summary>Loop thread: the socket is readable, writable, or closed; <paramref name="received"/> is what the
    /// batch's read got (bytes, or a negative errno), or <see cref="NotReceived"/>.</summary>
    internal void OnEvents(uint events, int received = NotReceived)
    {
        bool hangUp = (events & (EPOLLHUP | EPOLLERR)) != 0;
        if (WantsReceive(events))
        {
            Receive(drain: hangUp, received);
        }

        if ((events & EPOLLOUT) != 0 || hangUp)
        {
            SetInterest(EPOLLOUT, on: false);
            Interlocked.Exchange(ref _writable, null)?.TrySetResult();
        }

        if (hangUp && !_connecting)
        {
            // Level-triggered HUP/ERR would be reported again on every wait: nothing more can come from this socket.
            EndReceive(null);
            Unregister();
        }
    }

    /// <summary>Loop thread: stops watching the socket (idempotent). Under the lock, so no thread modifies the
    /// registration of a descriptor that may already belong to another socket.</summary>
    internal void Unregister()
    {
        lock (_interestLock)
        {
            if (_registered)
            {
                _registered = false;
                _loop.Remove(this);
            }
        }
    }

    // `first` is the result of a read the loop's batch made already into the input's next buffer.
    private unsafe void Receive(bool drain, int first)
    {
        var writer = _input.Writer;
        int reads = 0;
        while (true)
        {
            var memory = writer.GetMemory(MinimumReceive);
            nint received;
            int errno = 0;
            if (first != NotReceived)
            {
                received = first;
                first = NotReceived;
                if (received < 0)
                {
                    errno = (int)-received;
                    received = -1;
                }
            }
            else
            {
                bool added = false;
                try
                {
                    _handle.DangerousAddRef(ref added);
                    fixed (byte* buffer = memory.Span)
                    {
                        received = recv(Fd, buffer, (nuint)memory.Length, MSG_DONTWAIT);
                    }

                    if (received < 0)
                    {
                        errno = Marshal.GetLastPInvokeError();
                    }
                }
                catch (ObjectDisposedException)
                {
                    EndReceive(null);
                    return;
                }
                finally
                {
                    if (added)
                    {
                        _handle.DangerousRelease();
                    }
                }
            }

            if (received > 0)
            {
                writer.Advance((int)received);
                var flush = writer.FlushAsync();
                if (!flush.IsCompleted)
                {
                    // Unreachable with no pause threshold; kept so a bounded input pipe cannot spin the loop.
                    SetInterest(EPOLLIN, on: false);
                    _ = ResumeReceivingAsync(flush);
                    return;
                }

                if (flush.GetAwaiter().GetResult().IsCompleted)
                {
                    // The application stopped reading.
                    EndReceive(null);
                    return;
                }

                if (!drain && (_receivePaused || received < memory.Length || ++reads == _maxReadsPerEvent))
                {
                    // Most likely empty now, or this socket had its turn; level-triggered epoll reports it again.
                    return;
                }

                continue;
            }

            if (received == 0)
            {
                EndReceive(null);
                return;
            }

            if (errno == EAGAIN)
            {
                return;
            }

            if (errno != EINTR)
            {
                EndReceive(new ConnectionResetException(Marshal.GetPInvokeErrorMessage(errno)));
                return;
            }
        }
    }

    private async Task ResumeReceivingAsync(ValueTask<FlushResult> flush)
    {
        var result = await flush;
        if (result.IsCompleted)
        {
            _loop.Post(() => EndReceive(null));
            return;
        }

        if (!_receivePaused)
        {
            SetInterest(EPOLLIN, on: true);
        }
    }

    public void PauseReceiving()
    {
        _receivePaused = true;
        SetInterest(EPOLLIN, on: false);
    }

    public void ResumeReceiving()
    {
        _receivePaused = false;
        SetInterest(EPOLLIN, on: true);
    }

    private void EndReceive(Exception? error)
    {
        if (Interlocked.Exchange(ref _receiveEnded, 1) != 0)
        {
            return;
        }

        SetInterest(EPOLLIN, on: false);
        _input.Writer.Complete(error);

        // Callbacks of ConnectionClosed must not run on the loop thread.
        ThreadPool.UnsafeQueueUserWorkItem(static cts => cts.Cancel(), _closed, preferLocal: false);
    }

    private void SetInterest(uint flag, bool on)
    {
        lock (_interestLock)
        {
            if (on && flag == EPOLLIN && Volatile.Read(ref _receiveEnded) != 0)
            {
                // EndReceive turned reading off for good; a late ResumeReceiving must not undo it.
                return;
            }

            uint interest = on ? _interest | flag : _interest & ~flag;
            if (interest == _interest)
            {
                return;
            }

            _interest = interest;
            if (_registered)
            {
                _loop.Modify(this, interest);
            }
        }
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        try
        {
            // The loop sees the end of the stream (EPOLLIN/HUP) and completes the input; a pending send gives up.
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }

        _output.Reader.CancelPendingRead();
        Interlocked.Exchange(ref _writable, null)?.TrySetResult();
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The application is done with both directions; what it wrote still leaves, within a bound.
        _input.Reader.Complete();
        _output.Writer.Complete();
        try
        {
            await _sending.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            Abort(new ConnectionAbortedException("the peer did not take the last replies"));
            await _sending;
        }

        _loop.Post(() =>
        {
            Unregister();
            EndReceive(null);
            _removed.TrySetResult();
        });
        await _removed.Task;
        _socket.Dispose();
        await base.DisposeAsync();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
