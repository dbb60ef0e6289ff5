using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RespProxy.Hosting;
using RespProxy.Topology.Model;

namespace RespProxy.Backends;

/// <summary>
/// A Redis server the proxy talks to: a few multiplexed connections, each kept up by its own loop that reconnects
/// with backoff. Requests pick a live connection by affinity; with none alive they are answered with an error at
/// once instead of waiting.
/// </summary>
internal sealed partial class BackendServer : IAsyncDisposable
{
    private readonly BackendConnection?[] _connections;
    private readonly Task[] _supervisors;
    private readonly BackendOptions _options;
    private readonly IBackendConnector _connector;
    private readonly ILogger _logger;
    private readonly OnDemandTimer _timeoutCheck;
    private readonly CancellationTokenSource _stopping = new();
    private byte[] _unavailableReply;
    private bool _acceptsWrites;
    private bool _readable = true;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BackendServer(ServerEndpoint endpoint, BackendOptions options, IBackendConnector connector, OnDemandTimer timeoutCheck, ILogger logger)
    {
        Endpoint = endpoint;
        _options = options;
        _connector = connector;
        _timeoutCheck = timeoutCheck;
        _logger = logger;
        _unavailableReply = BackendErrors.Unavailable(endpoint, "not connected yet");
        _connections = new BackendConnection?[options.ConnectionsPerServer];
        _supervisors = new Task[_connections.Length];
        for (int i = 0; i < _connections.Length; i++)
        {
            int index = i;
            _supervisors[i] = Task.Run(() => SuperviseAsync(index));
        }
    }

    public ServerEndpoint Endpoint { get; }

    /// <summary>Completes when the first connection attempt ended, connected or not (see BackendWarmup).</summary>
    public Task FirstAttempt => _firstAttempt.Task;

    /// <summary>Whether connections batch their writes across clients (Backend:CoalesceWrites).</summary>
    public bool CoalesceWrites => _options.CoalesceWrites;

    /// <summary>redis_version reported by the server at the last handshake, or null before one succeeded.</summary>
    public string? Version { get; private set; }

    public int ConnectedCount
    {
        get
        {
            int count = 0;
            foreach (var connection in _connections)
            {
                if (connection is { IsAlive: true })
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <summary>
    /// False from the moment a replica refuses a read (LOADING, MASTERDOWN) until a connection passes the handshake
    /// again: reads go elsewhere without waiting for sentinel to notice.
    /// </summary>
    public bool IsReadable => Volatile.Read(ref _readable);

    /// <summary>Takes the server out of reads and fails its connections; in-flight reads are routed elsewhere.</summary>
    public void SuspendReads(string reason)
    {
        Volatile.Write(ref _readable, false);
        foreach (var connection in _connections)
        {
            connection?.Fail(reason);
        }
    }

    /// <summary>Cuts short the reconnect backoff: the server just became important (a new master).</summary>
    public void ReconnectNow() => Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Error text for requests when no connection is up (no '-' and no CRLF).</summary>
    public byte[] UnavailableReply => Volatile.Read(ref _unavailableReply);

    /// <summary>True while this server is the confirmed master of its group; requests that need a master are never
    /// written to a server without it (a demoted master is fenced before the new topology is published).</summary>
    public bool AcceptsWrites
    {
        get => Volatile.Read(ref _acceptsWrites);
        set => Volatile.Write(ref _acceptsWrites, value);
    }

    /// <summary>A live connection, preferring the one at <paramref name="affinity"/>; null when none is up.</summary>
    public BackendConnection? GetConnection(long affinity)
    {
        var connections = _connections;
        int start = (int)((ulong)affinity % (ulong)connections.Length);
        for (int i = 0; i < connections.Length; i++)
        {
            var candidate = Volatile.Read(ref connections[(start + i) % connections.Length]);
            if (candidate is { IsAlive: true })
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// How long a connection may answer nothing and still count as answering (<see cref="BackendOptions.ReplyGraceMs"/>).
    /// Large writes go behind a flush waiting for the socket only while the server answers
    /// (<see cref="BackendConnection.TryWriteNow"/>).
    /// </summary>
    public int StallGraceMs => _options.ReplyGraceMs;

    /// <summary>Large writes its current connections put behind a flush that waited for the socket (diagnostics, tests).</summary>
    public long WritesBehindWaitingFlush => _connections.Sum(connection => connection?.WritesBehindWaitingFlush ?? 0);

    /// <summary>Large writes its current connections sent from their clients' input (diagnostics, tests).</summary>
    public long WritesLentFromClientInput => _connections.Sum(connection => connection?.WritesLentFromClientInput ?? 0);

    /// <summary>Times its current connections' batches of lent writes waited for the socket (diagnostics, tests).</summary>
    public long LentBatchWaits => _connections.Sum(connection => connection?.LentBatchWaits ?? 0);

    /// <summary>A connection went from owing nothing to owing replies: the timeout check must run.</summary>
    public void OnAwaitingReplies() => _timeoutCheck.Arm();

    /// <summary>Fails connections that owe replies and answer nothing; returns true while any owes replies.</summary>
    public bool CheckTimeouts(long now)
    {
        bool busy = false;
        foreach (var connection in _connections)
        {
            if (connection is null || !connection.IsAwaitingReplies)
            {
                continue;
            }

            if (connection.IsStalled(now, _options.RequestTimeoutMs))
            {
                Log.RequestTimedOut(_logger, Endpoint, _options.RequestTimeoutMs);
                connection.Fail($"no reply within {_options.RequestTimeoutMs} ms");
                continue;
            }

            busy = true;
        }

        return busy;
    }

    /// <summary>Logs a failure of one of this server's connections while it wrote requests (it fails the connection).</summary>
    public void OnCrashWhileSending(Exception exception) => Log.CrashWhileSending(_logger, Endpoint, exception);

    private async Task SuperviseAsync(int index)
    {
        var token = _stopping.Token;
        int backoff = _options.ReconnectMinDelayMs;
        while (!token.IsCancellationRequested)
        {
            BackendConnection? connection = null;
            string reason;
            try
            {
                connection = await ConnectAsync(token);
                Volatile.Write(ref _connections[index], connection);
                Volatile.Write(ref _readable, true);
                Log.Connected(_logger, Endpoint, index);
                _firstAttempt.TrySetResult();
                backoff = _options.ReconnectMinDelayMs;
                reason = await connection.RunReaderAsync();
            }
            catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or BackendHandshakeException or OperationCanceledException)
            {
                reason = ex is OperationCanceledException && !token.IsCancellationRequested ? "connect timed out" : ex.Message;
            }
            catch (Exception ex)
            {
                // A bug must cost one connection, not the loop that keeps this server connected.
                Log.ConnectionCrashed(_logger, Endpoint, index, ex);
                reason = "internal error: " + ex.Message;
            }

            Volatile.Write(ref _connections[index], null);
            if (connection is not null)
            {
                connection.Fail(reason);
                await connection.DisposeAsync();
            }

            if (token.IsCancellationRequested)
            {
                break;
            }

            Volatile.Write(ref _unavailableReply, BackendErrors.Unavailable(Endpoint, reason));
            _firstAttempt.TrySetResult();
            Log.Disconnected(_logger, Endpoint, index, reason, backoff);
            var wake = Volatile.Read(ref _wake).Task;
            try
            {
                await Task.WhenAny(Task.Delay(backoff, token), wake);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (wake.IsCompleted)
            {
                backoff = _options.ReconnectMinDelayMs;
            }

            backoff = Math.Min(backoff * 2, _options.ReconnectMaxDelayMs);
        }
    }

    private async Task<BackendConnection> ConnectAsync(CancellationToken token)
    {
        var (connection, version) = await _connector.ConnectAsync(Endpoint, token);
        Version = version;
        return new BackendConnection(this, connection);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        foreach (var connection in _connections)
        {
            connection?.Fail("proxy shutting down");
        }

        await Task.WhenAll(_supervisors);
    }
}
