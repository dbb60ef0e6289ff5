namespace RespProxy.Backends;

/// <summary>How the proxy talks to each backend server (the "Backend" config section).</summary>
public sealed class BackendOptions
{
    public const string SectionName = "Backend";

    /// <summary>
    /// Multiplexed connections per server, shared by all clients. One by default, like twemproxy's server_connections:
    /// Redis runs commands one at a time anyway, and one connection gets the fullest batches (fewer reads and writes
    /// on the server; measured in docs/BENCHMARKS.md). More spread very large replies over several streams.
    /// </summary>
    public int ConnectionsPerServer { get; set; } = 1;

    public int ConnectTimeoutMs { get; set; } = 2000;

    /// <summary>
    /// A connection that owes replies and answers nothing for this long is failed (and so is every request queued on
    /// it): the server is stopped, stuck or unreachable.
    /// </summary>
    public int RequestTimeoutMs { get; set; } = 5000;

    /// <summary>
    /// Not an option: a twentieth of <see cref="RequestTimeoutMs"/> (at least 10 ms). The timeout check runs this often
    /// (at most every 250 ms), so a stall is noticed at most 5% late; and a connection that answered within it still
    /// counts as answering (large writes go behind its waiting flush, BackendConnection.TryWriteNow).
    /// </summary>
    public int ReplyGraceMs => Math.Max(10, RequestTimeoutMs / 20);

    public int ReconnectMinDelayMs { get; set; } = 50;

    public int ReconnectMaxDelayMs { get; set; } = 2000;

    /// <summary>
    /// Batch writes to a backend connection across clients: requests that arrive while earlier ones wait for replies
    /// leave together with the next batch of replies, instead of one write per client read. Measured in
    /// docs/BENCHMARKS.md.
    /// </summary>
    public bool CoalesceWrites { get; set; } = true;

    /// <summary>ACL user for the Redis servers (AUTH user password); null = the default user.</summary>
    public string? User { get; set; }

    /// <summary>Password for the Redis servers (requirepass or the user's); null = no AUTH.</summary>
    public string? Password { get; set; }
}
