using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>
/// The watcher's ties to one sentinel: a command connection for the refresh queries (used only by the refresh loop)
/// and a <see cref="SentinelSubscription"/> for events. After a failure the sentinel is left alone for a retry delay,
/// so a dead or black-holed sentinel does not cost every refresh a connect timeout; a successful (re)subscribe ends
/// that wait early, since it proves the sentinel is back.
/// </summary>
internal sealed class SentinelLink : IAsyncDisposable
{
    private readonly ConnectionCredentials _credentials;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _retryDelay;
    private readonly TimeProvider _time;
    private readonly SentinelSubscription _subscription;
    private RespConnection? _commands;
    private long _retryAtTimestamp;
    private Task _subscriptionTask = Task.CompletedTask;

    public SentinelLink(
        ServerEndpoint endpoint, ConnectionCredentials credentials, TimeSpan timeout, TimeSpan retryDelay, TimeProvider time,
        SubscriptionCallbacks callbacks)
    {
        Endpoint = endpoint;
        _credentials = credentials;
        _timeout = timeout;
        _retryDelay = retryDelay;
        _time = time;
        // A sentinel that takes a subscription is back: let the next refresh ask it without waiting out the delay.
        var withRetry = callbacks with
        {
            Subscribed = sentinel =>
            {
                RetryNow();
                callbacks.Subscribed(sentinel);
            },
        };
        _subscription = new SentinelSubscription(endpoint, credentials, timeout, retryDelay, time, withRetry);
    }

    public ServerEndpoint Endpoint { get; }

    /// <summary>The sentinel's run id, learnt with INFO server on each new connection; null until then.</summary>
    public string? RunId { get; private set; }

    /// <summary>Whether the last query got an answer. Starts false: nothing is known yet.</summary>
    public bool Reachable { get; private set; }

    /// <summary>Why the last query failed, or null after a success.</summary>
    public string? LastError { get; private set; }

    public void StartSubscription(CancellationToken stop) => _subscriptionTask = _subscription.RunAsync(stop);

    /// <summary>Lets the next refresh try this sentinel at once (its subscription just reconnected).</summary>
    public void RetryNow() => Volatile.Write(ref _retryAtTimestamp, 0);

    /// <summary>Runs the refresh batch; null when the sentinel is unreachable (or still in its retry delay).</summary>
    public async Task<SentinelAnswer?> QueryAsync(
        IReadOnlyList<IReadOnlyList<string>> batch, IReadOnlyList<string> groupNames, CancellationToken cancellationToken)
    {
        if (!Reachable && _time.GetTimestamp() < Volatile.Read(ref _retryAtTimestamp))
        {
            return null;
        }

        try
        {
            bool pooled = _commands is { IsBroken: false };
            if (pooled)
            {
                try
                {
                    return Answered(await AskAsync(batch, groupNames, cancellationToken).ConfigureAwait(false));
                }
                catch (Exception ex) when (ErrorText.IsStaleConnection(ex))
                {
                    // The sentinel restarted since the last refresh (or dropped the idle link): try a fresh connection.
                }
            }

            await DropCommandsAsync().ConfigureAwait(false);
            _commands = await RespConnection.ConnectAsync(Endpoint, _credentials, _timeout, _time, cancellationToken).ConfigureAwait(false);
            var info = await _commands.ExecuteAsync(["INFO", "server"], _timeout, cancellationToken).ConfigureAwait(false);
            RunId = info.IsError ? null : SentinelReplyParser.ParseRunId(info);
            return Answered(await AskAsync(batch, groupNames, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Reachable = false;
            LastError = ErrorText.Of(ex);
            Volatile.Write(ref _retryAtTimestamp, _time.GetTimestamp() + (long)(_retryDelay.TotalSeconds * _time.TimestampFrequency));
            await DropCommandsAsync().ConfigureAwait(false);
            // Its subscription is probably just as dead, but might not notice for a long time (no traffic on it).
            _subscription.Restart();
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _subscription.Restart();
        try
        {
            await _subscriptionTask.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await DropCommandsAsync().ConfigureAwait(false);
    }

    public override string ToString() => $"sentinel {Endpoint}";

    private async Task<SentinelAnswer> AskAsync(
        IReadOnlyList<IReadOnlyList<string>> batch, IReadOnlyList<string> groupNames, CancellationToken cancellationToken)
    {
        var replies = await _commands!.ExecuteAsync(batch, _timeout, cancellationToken).ConfigureAwait(false);
        return SentinelQueries.Interpret(Endpoint, RunId, groupNames, replies);
    }

    private SentinelAnswer Answered(SentinelAnswer answer)
    {
        Reachable = true;
        LastError = null;
        return answer;
    }

    private async Task DropCommandsAsync()
    {
        if (_commands is not null)
        {
            await _commands.DisposeAsync().ConfigureAwait(false);
            _commands = null;
        }
    }
}
