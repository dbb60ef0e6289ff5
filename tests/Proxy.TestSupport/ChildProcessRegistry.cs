using System.Collections.Concurrent;
using System.Diagnostics;

namespace RespProxy.TestSupport;

/// <summary>
/// Safety net: if a test forgets to dispose a redis process, kill the processes we started (each by its own PID)
/// and remove their work dirs when the test host exits, so no stray servers or temp dirs outlive the run.
/// </summary>
internal static class ChildProcessRegistry
{
    private static readonly ConcurrentDictionary<Process, string> LiveProcessWorkDirs = new();

    static ChildProcessRegistry() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    public static void Track(Process process, string workDir) => LiveProcessWorkDirs.TryAdd(process, workDir);

    public static void Forget(Process process) => LiveProcessWorkDirs.TryRemove(process, out _);

    private static void KillAll()
    {
        foreach (var (process, workDir) in LiveProcessWorkDirs)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }
            }
            catch (InvalidOperationException)
            {
                // Exited between the check and the kill: nothing left to do.
            }

            TestWorkDirectory.Delete(workDir);
        }
    }
}
