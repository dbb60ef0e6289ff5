using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using static RespProxy.Transport.LinuxSockets;

namespace RespProxy.Transport;

/// <summary>
/// One thread waiting in epoll_wait for the sockets it owns and running their reads inline: a client's requests are
/// parsed and forwarded, and a backend's replies delivered, on this thread, without a hand-off. Level-triggered, so a
/// socket is read only when it has data (no read that ends in EAGAIN) and a partial read is simply reported again.
/// </summary>
/// <remarks>
/// Connections are added and removed on the loop thread only (through <see cref="Post"/>), so the token-to-connection
/// map needs no lock and an event for a connection removed earlier in the same batch is simply not found.
/// </remarks>
internal sealed unsafe partial class EpollLoop
{
    private const ulong WakeToken = 0;
    private const int MaxEvents = 256;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly Dictionary<ulong, EpollConnection> _connections = [];
    private readonly List<IEndOfBatchWork> _endOfBatch = [];
    private readonly Lock _postLock = new();
    private readonly SystemCallBatch? _batch;
    private bool _wakePending;
    private bool _stopRequested;
    private bool _stopped;

    /// <param name="batchSystemCalls">Make each turn's receives and sends in one io_uring call where the kernel allows
    /// it (<see cref="SystemCallBatch"/>); otherwise one system call each.</param>
    public EpollLoop(int index, ILogger logger, bool batchSystemCalls = true)
    {
        _logger = logger;
        if (batchSystemCalls)
        {
            _batch = SystemCallBatch.TryCreate(out string? refusal);
            if (_batch is null && index == 0)
            {
                Log.BatchingUnavailable(_logger, refusal!);
            }
        }

        _epoll = CreateEpoll();
        _wakeFd = CreateEventFd();
        if (_epoll < 0 || _wakeFd < 0)
        {
            throw new InvalidOperationException($"epoll set-up failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        var wake = new EpollEvent { Events = EPOLLIN, Data = WakeToken };
        epoll_ctl(_epoll, EPOLL_CTL_ADD, _wakeFd, &wake);
        var thread = new Thread(Run) { IsBackground = true, Name = $"RespProxy epoll {index}" };
        thread.UnsafeStart();
    }

    [ThreadStatic]
    private static EpollLoop? t_current;

    /// <summary>The loop whose thread is running the caller, or null on any other thread.</summary>
    public static EpollLoop? Current => t_current;

    /// <summary>
    /// The batch this loop's thread queues socket sends in (submitted at the end of the turn), or null where the kernel
    /// refused io_uring or batching is off. Loop thread only.
    /// </summary>
    public SystemCallBatch? Batch => _batch;

    /// <summary>Loop thread only: runs <paramref name="work"/> after the events of this batch (once per call).</summary>
    public void RunAtEndOfBatch(IEndOfBatchWork work) => _endOfBatch.Add(work);

    /// <summary>
    /// Runs <paramref name="action"/> on the loop thread, after the events it is handling now; once the loop has
    /// stopped, on the caller's thread (nothing else touches the loop's sockets any more). Posts are rare (a connection
    /// opens or closes), so a lock is fine here; it keeps the eventfd from being written after it is closed.
    /// </summary>
    public void Post(Action action)
    {
        lock (_postLock)
        {
            if (!_stopped)
            {
                _posted.Enqueue(action);
                Wake();
                return;
            }
        }

        action();
    }

    /// <summary>Ends the loop: its connections see the end of their input and its descriptors are closed.</summary>
    public void Stop()
    {
        lock (_postLock)
        {
            if (!_stopRequested && !_stopped)
            {
                _stopRequested = true;
                Wake();
            }
        }
    }

    // Under _postLock.
    private void Wake()
    {
        if (!_wakePending)
        {
            _wakePending = true;
            ulong one = 1;
            write(_wakeFd, &one, sizeof(ulong));
        }
    }

    /// <summary>Loop thread only (or any thread once stopped, when it only refuses).</summary>
    public void Add(EpollConnection connection, uint events)
    {
        if (_stopped)
        {
            connection.OnRegistrationFailed(EBADF);
            return;
        }

        _connections[connection.Token] = connection;
        var ev = new EpollEvent { Events = events, Data = connection.Token };
        if (epoll_ctl(_epoll, EPOLL_CTL_ADD, connection.Fd, &ev) != 0)
        {
            _connections.Remove(connection.Token);
            connection.OnRegistrationFailed(Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Loop thread only.</summary>
    public void Remove(EpollConnection connection)
    {
        if (_connections.Remove(connection.Token))
        {
            var ev = default(EpollEvent);
            epoll_ctl(_epoll, EPOLL_CTL_DEL, connection.Fd, &ev);
        }
    }

    /// <summary>Changes the events a registered socket is watched for; any thread (epoll_ctl is thread-safe).</summary>
    public void Modify(EpollConnection connection, uint events)
    {
        var ev = new EpollEvent { Events = events, Data = connection.Token };
        epoll_ctl(_epoll, EPOLL_CTL_MOD, connection.Fd, &ev);
    }

    private void Run()
    {
        t_current = this;
        var events = new EpollEvent[MaxEvents];
        var received = new int[MaxEvents];
        fixed (EpollEvent* buffer = events)
        {
            while (true)
            {
                int count = epoll_wait(_epoll, buffer, MaxEvents, -1);
                if (count < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                    {
                        continue;
                    }

                    Log.WaitFailed(_logger, Marshal.GetPInvokeErrorMessage(errno));
                    return;
                }

                ReceiveAll(buffer, count, received);
                bool stop = false;
                for (int i = 0; i < count; i++)
                {
                    ulong token = buffer[i].Data;
                    if (token == WakeToken)
                    {
                        stop |= RunPosted();
                    }
                    else if (_connections.TryGetValue(token, out var connection))
                    {
                        Dispatch(connection, buffer[i].Events, received[i]);
                    }
                }

                // Also when stopping: what this batch's events queued for backends and clients still leaves.
                FinishTurn();
                if (stop)
                {
                    Shutdown();
                    return;
                }
            }
        }
    }

    // With a batch, every readable socket of this turn is read in one call before any is handled; received[i] is then
    // what event i's first read got (bytes, or a negative errno), or NotReceived for events read the ordinary way.
    private void ReceiveAll(EpollEvent* events, int count, int[] received)
    {
        var batch = _batch;
        for (int i = 0; i < count; i++)
        {
            received[i] = EpollConnection.NotReceived;
            if (batch is not null && _connections.TryGetValue(events[i].Data, out var connection))
            {
                try
                {
                    received[i] = connection.QueueReceive(batch, events[i].Events);
                }
                catch (Exception ex)
                {
                    // The event is handled the ordinary way, where a failure costs this connection only.
                    Log.HandlerFailed(_logger, connection.Token, ex);
                }
            }
        }

        if (batch is null || batch.Count == 0)
        {
            return;
        }

        batch.Submit();
        for (int i = 0; i < count; i++)
        {
            if (received[i] != EpollConnection.NotReceived)
            {
                received[i] = batch.Result(received[i]);
            }
        }
    }

    // The end of a turn: backends send what this turn's clients queued, and every send queued meanwhile (replies,
    // requests) leaves in one call. A send that completes may queue more work (its connection's next bytes), so this
    // repeats until nothing is left.
    private void FinishTurn()
    {
        do
        {
            RunEndOfBatchWork();
            _batch?.Submit();
        }
        while (_endOfBatch.Count > 0 || _batch?.Count > 0);
    }

    private void RunEndOfBatchWork()
    {
        var work = _endOfBatch;

        // By index: work may schedule more work (a write that completes replies), which runs in this pass too.
        for (int i = 0; i < work.Count; i++)
        {
            try
            {
                work[i].RunAtEndOfBatch();
            }
            catch (Exception ex)
            {
                Log.PostedActionFailed(_logger, ex);
            }
        }

        work.Clear();
    }

    private void Dispatch(EpollConnection connection, uint events, int received)
    {
        try
        {
            connection.OnEvents(events, received);
        }
        catch (Exception ex)
        {
            // A bug must cost one connection, never the loop that serves every other one.
            Log.HandlerFailed(_logger, connection.Token, ex);
            connection.Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException("internal error", ex));
            connection.Unregister();
        }
    }

    // Returns true when the loop must stop.
    private bool RunPosted()
    {
        ulong value;
        read(_wakeFd, &value, sizeof(ulong));
        bool stop;
        lock (_postLock)
        {
            // Cleared before draining: a post from now on writes the eventfd again, so none waits for a later wake.
            _wakePending = false;
            stop = _stopRequested;
            if (stop)
            {
                // From here on, posts run on their callers' threads.
                _stopped = true;
            }
        }

        DrainPosted();
        return stop;
    }

    private void DrainPosted()
    {
        while (_posted.TryDequeue(out var action))
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                Log.PostedActionFailed(_logger, ex);
            }
        }
    }

    private void Shutdown()
    {
        foreach (var connection in _connections.Values)
        {
            connection.DetachFromStoppedLoop();
        }

        _connections.Clear();

        // Ending the inputs ran their readers inline, which may have queued sends: they leave now, so no send loop
        // waits for a batch that is never submitted; this thread queues nothing after that.
        FinishTurn();
        t_current = null;
        _batch?.Dispose();
        close(_epoll);
        close(_wakeFd);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Critical, "epoll_wait failed: {Error}; this loop's connections stop")]
        public static partial void WaitFailed(ILogger logger, string error);

        [LoggerMessage(2, LogLevel.Error, "Connection {Token} failed in its event handler")]
        public static partial void HandlerFailed(ILogger logger, ulong token, Exception exception);

        [LoggerMessage(3, LogLevel.Error, "A posted action failed on the epoll loop")]
        public static partial void PostedActionFailed(ILogger logger, Exception exception);

        [LoggerMessage(4, LogLevel.Information, "io_uring is not available ({Reason}): one system call per socket receive and send")]
        public static partial void BatchingUnavailable(ILogger logger, string reason);
    }
}
