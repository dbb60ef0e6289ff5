namespace RespProxy.Hosting;

/// <summary>
/// Runs socket completions on the epoll thread instead of handing each one to the thread pool. The proxy's session
/// and backend code never blocks, so the hand-off only costs a context switch per read; measured in
/// docs/BENCHMARKS.md. Must run before the first socket is created (the setting is read once per process).
/// </summary>
internal static class SocketTuning
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void Apply()
    {
        // An operator's explicit choice (0 or 1) wins.
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }
    }
}
