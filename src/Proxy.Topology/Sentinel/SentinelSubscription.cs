using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>
/// The pub/sub connection to one sentinel: SUBSCRIBEs to the event channels and hands every message to the watcher.
/// Events are only hints (the watcher refreshes on them), so a lost connection is simply re-established after a
/// delay; the watcher also cuts it (<see cref="Restart"/>) when the sentinel stops answering commands.
/// </summary>
internal sealed class SentinelSubscription
{
    /// <summary>Channels that mean the topology may have changed.</summary>
    public static readonly string[] Channels =
    [
        "+switch-master", "+sdown", "-sdown", "+odown", "-odown", "+slave", "+convert-to-slave",
        "+role-change", "-role-change", "+failover-end",
        // Not essential, but announces the promoted replica before +switch-master (which waits for the replicas).
        "+promoted-slave",
    ];

    private readonly ServerEndpoint _sentinel;
    private readonly ConnectionCredentials _credentials;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _retryDelay;
    private readonly TimeProvider _time;
    private readonly SubscriptionCallbacks _callbacks;
    private CancellationTokenSource? _session;

    public SentinelSubscription(
        ServerEndpoint sentinel, ConnectionCredentials credentials, TimeSpan timeout, TimeSpan retryDelay, TimeProvider time, SubscriptionCallbacks callbacks)
    {
        _sentinel = sentinel;
        _credentials = credentials;
        _timeout = timeout;
        _retryDelay = retryDelay;
        _time = time;
        _callbacks = callbacks;
    }

    /// <summary>Subscribes, reads messages, and reconnects after failures until <paramref name="stop"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using var session = CancellationTokenSource.CreateLinkedTokenSource(stop);
            Volatile.Write(ref _session, session);
            try
            {
                await SubscribeAndReadAsync(session.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _callbacks.Lost(_sentinel, ex is OperationCanceledException ? "cut after failed commands" : ErrorText.Of(ex));
            }
            finally
            {
                Interlocked.CompareExchange(ref _session, null, session);
            }

            try
            {
                await Task.Delay(_retryDelay, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Drops the current connection (if any); the loop reconnects after its retry delay.</summary>
    public void Restart()
    {
        try
        {
            Volatile.Read(ref _session)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session ended on its own meanwhile.
        }
    }

    private async Task SubscribeAndReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await RespConnection.ConnectAsync(_sentinel, _credentials, _timeout, _time, cancellationToken).ConfigureAwait(false);
        await connection.SendAsync([["SUBSCRIBE", .. Channels]], cancellationToken).ConfigureAwait(false);
        using (var deadline = new CancellationTokenSource(_timeout, _time))
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token))
        {
            for (int i = 0; i < Channels.Length; i++)
            {
                var confirmation = await connection.ReadReplyAsync(handshake.Token).ConfigureAwait(false);
                if (confirmation.IsError)
                {
                    throw new IOException($"SUBSCRIBE refused: {confirmation.Text}");
                }
            }
        }

        _callbacks.Subscribed(_sentinel);
        while (true)
        {
            var message = await connection.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
            if (message.Kind == RespReplyKind.Array
                && message.Items.Count == 3
                && message.Items[0].AsString() == "message"
                && message.Items[1].AsString() is { } channel
                && message.Items[2].AsString() is { } payload)
            {
                _callbacks.Event(_sentinel, SentinelReplyParser.ParseEvent(channel, payload));
            }
        }
    }
}

/// <summary>What a <see cref="SentinelSubscription"/> reports to its owner; called on the subscription's own task.</summary>
internal sealed record SubscriptionCallbacks(
    Action<ServerEndpoint> Subscribed,
    Action<ServerEndpoint, SentinelEvent> Event,
    Action<ServerEndpoint, string> Lost);
