namespace RespProxy.TestSupport;

/// <summary>
/// Reads a process' scheduler state from /proc so Suspend/Resume return only once SIGSTOP/SIGCONT took effect;
/// signal delivery is asynchronous and a test that checks "server is hung" right away must not race it.
/// </summary>
internal static class ProcessRunState
{
    private static readonly TimeSpan SignalDeadline = TimeSpan.FromSeconds(5);

    public static void WaitUntilStopped(int pid, bool stopped, Func<string> diagnostics)
    {
        // Only Linux has /proc/<pid>/stat; elsewhere the signal is trusted to land promptly.
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Synchronous polling (Suspend/Resume are void); no sync-over-async blocking on a test's context.
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var isStopped = IsStopped(pid)
                ?? throw new InvalidOperationException($"pid {pid} disappeared while waiting for SIGSTOP/SIGCONT.{Environment.NewLine}{diagnostics()}");
            if (isStopped == stopped)
            {
                return;
            }

            if (elapsed.Elapsed >= SignalDeadline)
            {
                var what = stopped ? "to be stopped by SIGSTOP" : "to continue after SIGCONT";
                throw new TimeoutException($"Timed out after {SignalDeadline.TotalSeconds:0} s waiting for pid {pid} {what}.{Environment.NewLine}{diagnostics()}");
            }

            Thread.Sleep(Wait.PollInterval);
        }
    }

    private static bool? IsStopped(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // the process is gone (DirectoryNotFoundException/FileNotFoundException are IOExceptions)
        }

        // Format: "pid (comm) S ..."; comm may contain spaces or parentheses, so look after the last ')'.
        var afterName = stat.LastIndexOf(')');
        if (afterName < 0 || afterName + 2 >= stat.Length)
        {
            return null;
        }

        var state = stat[afterName + 2];
        return state is 'T' or 't';
    }
}
