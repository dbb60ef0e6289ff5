using System.ComponentModel;
using System.Runtime.InteropServices;

namespace RespProxy.TestSupport;

/// <summary>
/// Sends a signal to one process by PID via libc kill(2). .NET only exposes SIGKILL (Process.Kill), but tests
/// also need SIGTERM (graceful stop) and SIGSTOP/SIGCONT (simulate a hung server without closing its sockets).
/// </summary>
internal static class PosixSignals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    // SIGSTOP/SIGCONT differ between Linux and the BSD family (macOS).
    public static int SigStop => OperatingSystem.IsLinux() ? 19 : 17;
    public static int SigCont => OperatingSystem.IsLinux() ? 18 : 19;

    private const int NoSuchProcess = 3; // ESRCH

    /// <summary>Returns false when the process no longer exists; throws for any other failure.</summary>
    public static bool Send(int pid, int signal)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Signals are only available on Unix-like systems.");
        }

        // pid <= 0 would signal a whole process group (or everything we may signal): never do that.
        if (pid <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pid), pid, "Only a single positive PID may be signalled.");
        }

        if (Kill(pid, signal) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == NoSuchProcess)
        {
            return false;
        }

        throw new Win32Exception(errno, $"kill({pid}, {signal}) failed with errno {errno}.");
    }

    // "libc" is mapped by the runtime to the platform C library (libc.so.6 on glibc Linux).
    // DllImport rather than LibraryImport: the generated stub would need AllowUnsafeBlocks for one int-only call.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
