using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace RespProxy.TestSupport;

/// <summary>
/// Lifecycle of one redis-server or redis-sentinel process that runs from a conf file in its own work dir:
/// start and wait for PING, signal by PID, wait for exit, describe its state when something times out.
/// <see cref="RedisServerProcess"/> and <see cref="SentinelProcess"/> only differ in the conf they write.
/// </summary>
internal sealed class RedisProcessRunner
{
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan GracefulStopDeadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ExitAfterKillDeadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PingProbeTimeout = TimeSpan.FromSeconds(1);
    private const int MaxConsoleChars = 16 * 1024;
    private const int DiagnosticLogLines = 40;
    private const int StartAttemptsOnPortClash = 5;

    private readonly string _binaryName;
    private readonly Lock _consoleLock = new();
    private readonly StringBuilder _console = new();
    private Process? _process;
    private int _pid; // kept after the process exits so messages and Pid still name it
    private bool _suspended;

    private RedisProcessRunner(string binaryName, string host, int port, string workDir, string confFileName)
    {
        _binaryName = binaryName;
        Host = host;
        Port = port;
        WorkDir = workDir;
        ConfPath = Path.Combine(workDir, confFileName);
        LogPath = Path.Combine(workDir, Path.ChangeExtension(confFileName, ".log"));
    }

    public string Host { get; }

    public int Port { get; }

    public string WorkDir { get; }

    public string ConfPath { get; }

    public string LogPath { get; }

    public int Pid => _pid != 0 ? _pid : throw new InvalidOperationException("The process was never started.");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Creates a work dir, lets <paramref name="writeConf"/> write the conf into it and starts the process.
    /// When the caller did not ask for a specific port and another process grabbed the one we picked (the gap
    /// between <see cref="FreePort"/> releasing it and redis binding it), it tries again on a new port.
    /// </summary>
    public static async Task<RedisProcessRunner> StartNewAsync(
        string binaryName, string kind, string host, int? requestedPort, Action<RedisProcessRunner> writeConf, CancellationToken cancellationToken)
    {
        LoopbackGuard.Parse(host);
        ExternalBinary.Resolve(binaryName); // fail with the "install ..." message before creating anything
        for (var attempt = 1; ; attempt++)
        {
            var port = requestedPort ?? FreePort.Next(host);
            var runner = new RedisProcessRunner(binaryName, host, port, TestWorkDirectory.Create(kind, host, port), kind + ".conf");
            try
            {
                writeConf(runner);
                await runner.StartAsync(cancellationToken).ConfigureAwait(false);
                return runner;
            }
            catch (Exception ex) when (requestedPort is null && attempt < StartAttemptsOnPortClash && runner.FailedBecausePortInUse(ex))
            {
                await runner.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await runner.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Starts the process from its conf file and waits until it answers PING.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Describe()} is still running; kill or stop it before starting it again.");
        }

        var startInfo = new ProcessStartInfo(ExternalBinary.Resolve(_binaryName))
        {
            UseShellExecute = false,
            WorkingDirectory = WorkDir,
            // stdout/stderr are captured because config errors are printed there before the log file is opened.
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        startInfo.ArgumentList.Add(ConfPath);

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => AppendConsole(e.Data);
        process.ErrorDataReceived += (_, e) => AppendConsole(e.Data);
        process.Start();
        ForgetProcess();
        _process = process;
        _pid = process.Id;
        _suspended = false;
        ChildProcessRegistry.Track(process, WorkDir);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();

        await Wait.UntilAsync(AnswersPingAsync, StartupDeadline, $"{Describe()} to answer PING", Diagnostics, cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task KillAsync()
    {
        if (!IsRunning)
        {
            return;
        }

        KillNow();
        await WaitForExitAsync(ExitAfterKillDeadline, "SIGKILL").ConfigureAwait(false);
    }

    /// <summary>SIGTERM (redis shuts down as with SHUTDOWN; nothing is saved with save ""), SIGKILL if that takes too long.</summary>
    public async Task StopAsync()
    {
        if (!IsRunning)
        {
            return;
        }

        PosixSignals.Send(_pid, PosixSignals.SigTerm);
        if (_suspended)
        {
            // A stopped process only acts on the pending SIGTERM once it runs again.
            PosixSignals.Send(_pid, PosixSignals.SigCont);
            _suspended = false;
        }

        try
        {
            await WaitForExitAsync(GracefulStopDeadline, "SIGTERM").ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await KillAsync().ConfigureAwait(false);
        }
    }

    public void Suspend()
    {
        EnsureRunning("suspend");
        PosixSignals.Send(_pid, PosixSignals.SigStop);
        _suspended = true;
        ProcessRunState.WaitUntilStopped(_pid, stopped: true, Diagnostics);
    }

    public void Resume()
    {
        EnsureRunning("resume");
        PosixSignals.Send(_pid, PosixSignals.SigCont);
        _suspended = false;
        ProcessRunState.WaitUntilStopped(_pid, stopped: false, Diagnostics);
    }

    public string LogTail(int lines = DiagnosticLogLines) => LogFile.Tail(LogPath, lines);

    /// <summary>Everything useful for a failure message: state, captured console output and the log tail.</summary>
    public string Diagnostics()
    {
        var state = _process is null ? (_pid == 0 ? "never started" : "disposed")
            : _process.HasExited ? $"exited with code {_process.ExitCode}"
            : _suspended ? "running (suspended with SIGSTOP)"
            : "running";
        string console;
        lock (_consoleLock)
        {
            console = _console.Length == 0 ? "(nothing)" : _console.ToString();
        }

        return $"""
            {Describe()}: {state}; conf {ConfPath}
            --- stdout/stderr ---
            {console}
            --- last {DiagnosticLogLines} lines of {LogPath} ---
            {LogTail()}
            """;
    }

    public async ValueTask DisposeAsync()
    {
        if (IsRunning)
        {
            KillNow();
            await WaitForExitAsync(ExitAfterKillDeadline, "SIGKILL").ConfigureAwait(false);
        }

        ForgetProcess();
        TestWorkDirectory.Delete(WorkDir);
    }

    private string Describe() => _pid == 0
        ? $"{_binaryName} on {Host}:{Port}"
        : $"{_binaryName} (pid {_pid}) on {Host}:{Port}";

    /// <summary>
    /// Ready means our process answers: PING gives PONG (or NOAUTH when the conf sets requirepass/ACLs), and INFO,
    /// when allowed, reports our PID. The PID check matters when another process already holds the port: it would
    /// answer PING while ours is still failing to bind.
    /// </summary>
    private async Task<bool> AnswersPingAsync()
    {
        if (_process!.HasExited)
        {
            throw new InvalidOperationException($"{Describe()} exited with code {_process.ExitCode} during startup.{Environment.NewLine}{Diagnostics()}");
        }

        try
        {
            await using var client = await RawRespClient.ConnectAsync(Host, Port, PingProbeTimeout).ConfigureAwait(false);
            var ping = await client.CommandAsync("PING").ConfigureAwait(false);
            if (IsNoAuth(ping))
            {
                return true;
            }

            if (ping.Type != '+' || ping.Text != "PONG")
            {
                return false; // e.g. LOADING
            }

            var info = await client.CommandAsync("INFO", "server").ConfigureAwait(false);
            if (info.Type != '$' || !RedisInfo.Parse(info.Text ?? "").TryGetValue("process_id", out var reportedPid))
            {
                return true; // INFO renamed or denied by ACLs: PONG alone has to do
            }

            return reportedPid == _pid.ToString(CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false; // not listening yet
        }
    }

    private static bool IsNoAuth(RespValue reply) => reply.IsError && reply.Text?.StartsWith("NOAUTH", StringComparison.Ordinal) == true;

    private bool FailedBecausePortInUse(Exception startFailure) =>
        startFailure is InvalidOperationException
        && _process is { HasExited: true }
        && File.Exists(LogPath)
        && LogTail(DiagnosticLogLines).Contains("Address already in use", StringComparison.Ordinal);

    private void EnsureRunning(string action)
    {
        if (!IsRunning)
        {
            throw new InvalidOperationException($"Cannot {action} {Describe()}: it is not running.");
        }
    }

    private void KillNow()
    {
        try
        {
            // Process.Kill sends SIGKILL to this process' own PID (never by name); it also ends a stopped process.
            _process!.Kill();
        }
        catch (InvalidOperationException)
        {
            // Exited between the IsRunning check and the kill.
        }

        _suspended = false;
    }

    /// <summary>
    /// Polls HasExited instead of Process.WaitForExitAsync: the latter also waits for EOF on redirected output,
    /// which a forked redis child (BGSAVE, full sync) can hold open after the parent died.
    /// </summary>
    private Task WaitForExitAsync(TimeSpan deadline, string signal) =>
        Wait.UntilAsync(() => _process!.HasExited, deadline, $"{Describe()} to exit after {signal}", Diagnostics);

    private void ForgetProcess()
    {
        if (_process is null)
        {
            return;
        }

        ChildProcessRegistry.Forget(_process);
        _process.Dispose();
        _process = null;
    }

    private void AppendConsole(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_consoleLock)
        {
            // Bounded: diagnostics only need the start-up errors, not an unbounded stream.
            if (_console.Length < MaxConsoleChars)
            {
                _console.AppendLine(line);
            }
        }
    }
}
