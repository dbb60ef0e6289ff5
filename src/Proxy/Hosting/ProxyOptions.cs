namespace RespProxy.Hosting;

/// <summary>The "Proxy" config section.</summary>
public sealed class ProxyOptions
{
    public const string SectionName = "Proxy";

    /// <summary>Where clients connect (RESP), "host:port"; port 0 picks a free one.</summary>
    public string Listen { get; set; } = "127.0.0.1:6380";

    /// <summary>HTTP listener for health and metrics, "host:port".</summary>
    public string AdminListen { get; set; } = "127.0.0.1:9121";

    /// <summary>The datacenter this proxy runs in (reads prefer replicas there).</summary>
    public string DataCenter { get; set; } = "dc1";

    /// <summary>Forward commands Redis flags as admin (CONFIG, DEBUG-like, ACL ...). Off by default.</summary>
    public bool AllowAdminCommands { get; set; }

    /// <summary>Largest bulk argument a client may send (Redis's proto-max-bulk-len).</summary>
    public long MaxBulkLength { get; set; } = 512L * 1024 * 1024;

    /// <summary>Unparsed bytes one client may have buffered (Redis's client-query-buffer-limit, 1 GiB).</summary>
    public long MaxQueryBufferBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Replies one client may have outstanding before the proxy stops reading its requests.</summary>
    public int MaxPendingRequestsPerClient { get; set; } = 4096;

    /// <summary>
    /// Socket transport for clients and backends: Auto (epoll where supported, Linux x86-64), Epoll, or Sockets
    /// (Kestrel's socket transport and .NET's socket engine). Measured in docs/BENCHMARKS.md.
    /// </summary>
    public ProxyTransport Transport { get; set; } = ProxyTransport.Auto;

    /// <summary>
    /// Epoll transport: make each loop turn's socket receives and sends in one io_uring call instead of one system call
    /// each, where the kernel allows io_uring (it falls back to plain calls, logged, where it does not). Measured in
    /// docs/BENCHMARKS.md.
    /// </summary>
    public bool BatchSystemCalls { get; set; } = true;

    /// <summary>Upper bound on one wait of a backpressured client before it re-checks (a safety net, not a timer).</summary>
    public TimeSpan ProgressCheckInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>See <see cref="ProxyOptions.Transport"/>.</summary>
public enum ProxyTransport
{
    Auto,
    Epoll,
    Sockets,
}
