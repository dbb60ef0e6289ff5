using System.Diagnostics;
using System.Globalization;

namespace RespProxy.TestSupport;

/// <summary>
/// Runs the real redis-cli against a loopback endpoint. Arguments go through ArgumentList (no shell), so values
/// with spaces or quotes reach redis verbatim. Output is redis-cli's non-TTY format (no "(integer)" prefixes).
/// </summary>
public static class RedisCli
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static Task<CliResult> RunAsync(string host, int port, params string[] args) =>
        RunCoreAsync(host, port, stdin: null, args);

    /// <summary>Feeds <paramref name="stdin"/> to redis-cli, e.g. with "-x" or for a list of commands with no args.</summary>
    public static Task<CliResult> RunWithStdinAsync(string host, int port, string stdin, params string[] args) =>
        RunCoreAsync(host, port, stdin, args);

    private static async Task<CliResult> RunCoreAsync(string host, int port, string? stdin, string[] args)
    {
        LoopbackGuard.Parse(host);
        var startInfo = new ProcessStartInfo(ExternalBinary.Resolve(ExternalBinary.RedisCli))
        {
            UseShellExecute = false,
            // Always redirected: redis-cli reads commands from a non-TTY stdin, so an inherited one could hang it.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("-h");
        startInfo.ArgumentList.Add(host);
        startInfo.ArgumentList.Add("-p");
        startInfo.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException("redis-cli could not be started.");
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();

        using var deadline = new CancellationTokenSource(Timeout);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin.AsMemory(), deadline.Token).ConfigureAwait(false);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // Process.Kill signals this exact PID (SIGKILL); nothing is ever killed by name.
            process.Kill();
            await process.WaitForExitAsync().ConfigureAwait(false);
            throw new TimeoutException(
                $"redis-cli -h {host} -p {port} {string.Join(' ', args)} did not finish within {Timeout.TotalSeconds:0} s and was killed. " +
                $"stdout: {await stdoutTask.ConfigureAwait(false)} stderr: {await stderrTask.ConfigureAwait(false)}");
        }

        return new CliResult(process.ExitCode, await stdoutTask.ConfigureAwait(false), await stderrTask.ConfigureAwait(false));
    }
}
