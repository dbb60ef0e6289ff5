namespace RespProxy.TestSupport;

/// <summary>
/// A real redis-sentinel on a loopback address monitoring one or more masters. Sentinel rewrites its own conf
/// (it records its id, discovered replicas and other sentinels), so the conf lives in the writable work dir.
/// </summary>
public sealed class SentinelProcess : IAsyncDisposable
{
    private readonly RedisProcessRunner _runner;

    private SentinelProcess(RedisProcessRunner runner, IReadOnlyList<string> masterNames)
    {
        _runner = runner;
        MasterNames = masterNames;
    }

    public string Host => _runner.Host;

    public int Port => _runner.Port;

    /// <summary>"host:port".</summary>
    public string EndPoint => $"{Host}:{Port}";

    public int Pid => _runner.Pid;

    public string WorkDir => _runner.WorkDir;

    public string ConfPath => _runner.ConfPath;

    public string LogPath => _runner.LogPath;

    public bool IsRunning => _runner.IsRunning;

    public IReadOnlyList<string> MasterNames { get; }

    /// <summary>Starts redis-sentinel (a free port when <paramref name="port"/> is null) and returns once it answers PING.</summary>
    public static async Task<SentinelProcess> StartAsync(
        string host,
        int? port,
        IEnumerable<(string Name, string MasterHost, int MasterPort)> masters,
        int quorum = 2,
        int downAfterMs = 1000,
        int failoverTimeoutMs = 10000,
        IEnumerable<string>? extraConfig = null,
        CancellationToken ct = default)
    {
        var monitored = masters.ToArray();
        foreach (var master in monitored)
        {
            // Sentinel connects to every master it monitors: keep that traffic on loopback too.
            LoopbackGuard.Parse(master.MasterHost);
        }

        var extraLines = extraConfig?.ToArray() ?? [];
        var settings = new MonitorSettings(quorum, downAfterMs, failoverTimeoutMs);
        var runner = await RedisProcessRunner.StartNewAsync(
            ExternalBinary.RedisSentinel, "sentinel", host, port,
            r => RedisConfFile.Write(r.ConfPath, ConfLines(r, monitored, settings, extraLines)), ct)
            .ConfigureAwait(false);
        return new SentinelProcess(runner, monitored.Select(m => m.Name).ToArray());
    }

    public Task<CliResult> CliAsync(params string[] args) => RedisCli.RunAsync(Host, Port, args);

    /// <summary>Opens a <see cref="RawRespClient"/> straight to this sentinel.</summary>
    public Task<RawRespClient> ConnectAsync(TimeSpan? timeout = null) => RawRespClient.ConnectAsync(Host, Port, timeout);

    public Task KillAsync() => _runner.KillAsync();

    public Task StopAsync() => _runner.StopAsync();

    public void Suspend() => _runner.Suspend();

    public void Resume() => _runner.Resume();

    /// <summary>Starts the sentinel again from its (possibly self-rewritten) conf on the same host, port and work dir.</summary>
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

    public override string ToString() => $"redis-sentinel {EndPoint}";

    private sealed record MonitorSettings(int Quorum, int DownAfterMs, int FailoverTimeoutMs);

    private static IEnumerable<string> ConfLines(
        RedisProcessRunner runner, IEnumerable<(string Name, string MasterHost, int MasterPort)> masters, MonitorSettings settings, IEnumerable<string> extraLines)
    {
        yield return $"bind {runner.Host}";
        yield return $"port {RedisConfFile.Number(runner.Port)}";
        // Sentinel announces itself (and is seen by masters) at the source address of its outgoing links;
        // without this every sentinel would appear as 127.0.0.1 whatever 127.0.0.x it listens on.
        yield return $"bind-source-addr {runner.Host}";
        yield return $"dir {RedisConfFile.Quote(runner.WorkDir)}";
        yield return $"logfile {RedisConfFile.Quote(runner.LogPath)}";
        yield return "daemonize no";
        yield return "protected-mode no";
        foreach (var (name, masterHost, masterPort) in masters)
        {
            yield return $"sentinel monitor {name} {masterHost} {RedisConfFile.Number(masterPort)} {RedisConfFile.Number(settings.Quorum)}";
            yield return $"sentinel down-after-milliseconds {name} {RedisConfFile.Number(settings.DownAfterMs)}";
            yield return $"sentinel failover-timeout {name} {RedisConfFile.Number(settings.FailoverTimeoutMs)}";
            yield return $"sentinel parallel-syncs {name} 1";
        }

        foreach (var line in extraLines)
        {
            yield return line;
        }
    }
}
