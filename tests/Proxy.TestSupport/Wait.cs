using System.Diagnostics;

namespace RespProxy.TestSupport;

/// <summary>
/// Polls a condition until it holds or a deadline passes. Tests use this instead of fixed sleeps so they are
/// as fast as the system allows and fail with a message that says what never happened.
/// </summary>
/// <remarks>
/// Exceptions thrown by the condition are not swallowed: a condition that can fail transiently
/// (e.g. connection refused while a process starts) should catch that itself and return false.
/// </remarks>
public static class Wait
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? diagnostics = null) =>
        UntilAsync(condition, timeout, what, diagnostics, CancellationToken.None);

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? diagnostics = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what, diagnostics, CancellationToken.None);

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? diagnostics, CancellationToken cancellationToken) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what, diagnostics, cancellationToken);

    public static async Task UntilAsync(
        Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? diagnostics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await condition().ConfigureAwait(false))
            {
                return;
            }

            if (elapsed.Elapsed >= timeout)
            {
                throw new TimeoutException(DescribeTimeout(timeout, what, diagnostics));
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string DescribeTimeout(TimeSpan timeout, string what, Func<string>? diagnostics)
    {
        var message = $"Timed out after {timeout.TotalSeconds:0.###} s waiting for {what}.";
        if (diagnostics is null)
        {
            return message;
        }

        try
        {
            return message + Environment.NewLine + diagnostics();
        }
        catch (Exception ex)
        {
            // The timeout is the real failure; a broken diagnostics callback must not hide it.
            return message + Environment.NewLine + $"(collecting diagnostics failed: {ex.GetType().Name}: {ex.Message})";
        }
    }
}
