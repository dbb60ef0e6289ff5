namespace RespProxy.TestSupport;

/// <summary>
/// A real redis-server on a loopback address, with its own temp work dir, conf and log. Start one per test (or per
/// fixture) and dispose it; disposal kills it by PID and deletes the work dir.
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly RedisProcessRunner _runner;

    private RedisServerProcess(RedisProcessRunner runner) => _runner = runner;

    public string Host => _runner.Host;

    public int Port => _runner.Port;

    /// <summary>"host:port".</summary>
    public string EndPoint => $"{Host}:{Port}";

    public int Pid => _runner.Pid;

    public string WorkDir => _runner.WorkDir;

    public string ConfPath => _runner.ConfPath;

    public string LogPath => _runner.LogPath;

    public bool IsRunning => _runner.IsRunning;

    /// <summary>
    /// Starts redis-server (a free port when <paramref name="port"/> is null) and returns once it answers PING.
    /// <paramref name="extraConfig"/> lines (e.g. "replicaof 127.0.0.1 30001", "requirepass s3cret") go after the
    /// defaults and so override them. Replication is not awaited: callers wait for master_link_status themselves.
    /// </summary>
    public static async Task<RedisServerProcess> StartAsync(
        string host = "127.0.0.1", int? port = null, IEnumerable<string>? extraConfig = null, CancellationToken ct = default)
    {
        var extraLines = extraConfig?.ToArray() ?? [];
        var runner = await RedisProcessRunner.StartNewAsync(
            ExternalBinary.RedisServer, "redis", host, port, r => RedisConfFile.Write(r.ConfPath, ConfLines(r, extraLines)), ct)
            .ConfigureAwait(false);
        return new RedisServerProcess(runner);
    }

    public Task<CliResult> CliAsync(params string[] args) => RedisCli.RunAsync(Host, Port, args);

    /// <summary>Opens a <see cref="RawRespClient"/> straight to this server (bypassing any proxy).</summary>
    public Task<RawRespClient> ConnectAsync(TimeSpan? timeout = null) => RawRespClient.ConnectAsync(Host, Port, timeout);

    /// <summary>SIGKILL: the server vanishes without closing anything gracefully.</summary>
    public Task KillAsync() => _runner.KillAsync();

    /// <summary>SIGTERM (a graceful shutdown that saves nothing), SIGKILL after 10 s.</summary>
    public Task StopAsync() => _runner.StopAsync();

    /// <summary>SIGSTOP: the server keeps its sockets open but stops answering, like a hung host.</summary>
    public void Suspend() => _runner.Suspend();

    /// <summary>SIGCONT: undoes <see cref="Suspend"/>.</summary>
    public void Resume() => _runner.Resume();

    /// <summary>Starts the server again on the same host, port and work dir; extra lines are appended to its conf.</summary>
    public async Task RestartAsync(IEnumerable<string>? extraConfig = null)
    {
        if (extraConfig is not null)
        {
            RedisConfFile.Append(ConfPath, extraConfig);
        }

        await _runner.StartAsync().ConfigureAwait(false);
    }

    public string LogTail(int lines = 40) => _runner.LogTail(lines);

    /// <summary>State, console output and log tail, for the diagnostics argument of <see cref="Wait.UntilAsync(Func{bool}, TimeSpan, string, Func{string}?)"/>.</summary>
    public string Diagnostics() => _runner.Diagnostics();

    public ValueTask DisposeAsync() => _runner.DisposeAsync();

    public override string ToString() => $"redis-server {EndPoint}";

    private static IEnumerable<string> ConfLines(RedisProcessRunner runner, IEnumerable<string> extraLines) =>
    [
        $"bind {runner.Host}",
        $"port {RedisConfFile.Number(runner.Port)}",
        // Outgoing connections (replication) leave from this host's own address, so a master sees its replicas,
        // and sentinels discover them, at the 127.0.0.x they listen on rather than at 127.0.0.1.
        $"bind-source-addr {runner.Host}",
        $"dir {RedisConfFile.Quote(runner.WorkDir)}",
        $"logfile {RedisConfFile.Quote(runner.LogPath)}",
        "save \"\"",
        "appendonly no",
        "daemonize no",
        "protected-mode no",
        // Lets tests simulate a slow server with DEBUG SLEEP; redis 7 disables DEBUG by default.
        "enable-debug-command yes",
        .. extraLines,
    ];
}
