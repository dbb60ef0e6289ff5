using System.Collections.Concurrent;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>The answer of one probe, or why there is none.</summary>
internal sealed record ProbeResult<T>(T? Value, string? Error)
    where T : class
{
    public static ProbeResult<T> Failed(string error) => new(null, error);
}

/// <summary>
/// Asks redis servers directly: ROLE to confirm a master, PING + INFO replication to vet a replica. Keeps one idle
/// connection per server between refreshes; a probe takes it out for its own use (so concurrent probes never share
/// one) and puts it back only when it is still healthy.
/// </summary>
internal sealed class ServerProber : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ServerEndpoint, RespConnection> _idle = new();
    private readonly ConnectionCredentials _credentials;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    public ServerProber(ConnectionCredentials credentials, TimeSpan timeout, TimeProvider time)
    {
        _credentials = credentials;
        _timeout = timeout;
        _time = time;
    }

    public Task<ProbeResult<RoleInfo>> RoleAsync(ServerEndpoint server, CancellationToken cancellationToken) =>
        ProbeAsync(server, [["ROLE"]], replies => SentinelReplyParser.ParseRole(replies[0]), cancellationToken);

    /// <summary>PING first: a server still loading its dataset answers -LOADING, which INFO would not reveal.</summary>
    public Task<ProbeResult<ReplicationInfo>> ReplicationAsync(ServerEndpoint server, CancellationToken cancellationToken) =>
        ProbeAsync(server, [["PING"], ["INFO", "replication"]], ParseReplication, cancellationToken);

    /// <summary>Closes idle connections to servers no longer in the topology.</summary>
    public async Task ForgetAllExceptAsync(IReadOnlySet<ServerEndpoint> keep)
    {
        foreach (var endpoint in _idle.Keys)
        {
            if (!keep.Contains(endpoint) && _idle.TryRemove(endpoint, out var connection))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var endpoint in _idle.Keys)
        {
            if (_idle.TryRemove(endpoint, out var connection))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static ReplicationInfo ParseReplication(RespReply[] replies)
    {
        if (replies[0].IsError && replies[0].Text?.StartsWith("LOADING", StringComparison.Ordinal) == true)
        {
            return ReplicationInfo.LoadingServer;
        }

        if (replies[1].IsError || replies[1].AsString() is not { } text)
        {
            throw new FormatException($"INFO replication: {replies[1]}");
        }

        return SentinelReplyParser.ParseInfoReplication(text);
    }

    private async Task<ProbeResult<T>> ProbeAsync<T>(
        ServerEndpoint server, IReadOnlyList<IReadOnlyList<string>> commands, Func<RespReply[], T> parse, CancellationToken cancellationToken)
        where T : class
    {
        if (_idle.TryRemove(server, out var pooled))
        {
            try
            {
                return await ProbeOnAsync(server, pooled, commands, parse, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ErrorText.IsStaleConnection(ex))
            {
                // Fall through to a fresh connection: the server may have closed an idle one (sentinel kills normal
                // clients when it promotes or reconfigures a server).
            }
            catch (Exception ex) when (IsProbeFailure(ex, cancellationToken))
            {
                return ProbeResult<T>.Failed(ErrorText.Of(ex));
            }
        }

        try
        {
            var connection = await RespConnection.ConnectAsync(server, _credentials, _timeout, _time, cancellationToken).ConfigureAwait(false);
            return await ProbeOnAsync(server, connection, commands, parse, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsProbeFailure(ex, cancellationToken))
        {
            return ProbeResult<T>.Failed(ErrorText.Of(ex));
        }
    }

    /// <summary>Runs the probe on <paramref name="connection"/>, then pools it again or disposes it.</summary>
    private async Task<ProbeResult<T>> ProbeOnAsync<T>(
        ServerEndpoint server, RespConnection connection, IReadOnlyList<IReadOnlyList<string>> commands, Func<RespReply[], T> parse,
        CancellationToken cancellationToken)
        where T : class
    {
        RespConnection? owned = connection;
        try
        {
            var replies = await connection.ExecuteAsync(commands, _timeout, cancellationToken).ConfigureAwait(false);
            var value = parse(replies);
            if (!connection.IsBroken && _idle.TryAdd(server, connection))
            {
                owned = null;
            }

            return new ProbeResult<T>(value, null);
        }
        finally
        {
            if (owned is not null)
            {
                await owned.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static bool IsProbeFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested;
}
