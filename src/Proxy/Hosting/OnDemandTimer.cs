namespace RespProxy.Hosting;

/// <summary>
/// A periodic check that runs only while it has something to check: whoever creates the work arms it, and each run
/// arms it again while work remains. An idle proxy then has no timer waking it, and a busy one no more than the period.
/// </summary>
/// <remarks>
/// A periodic timer costs a wake-up of the runtime's timer thread and of a thread-pool worker each period,
/// idle or not, on the cores the proxy shares with Redis (measured in docs/BENCHMARKS.md). Here the timer is one-shot:
/// stopping is just not arming it again, so a stop can never race with an arm and cancel it.
/// </remarks>
internal sealed class OnDemandTimer : IDisposable, IAsyncDisposable
{
    private readonly ITimer _timer;
    private readonly Func<bool> _run;
    private readonly TimeSpan _period;
    private int _armed;

    /// <param name="period">Time from arming to the run.</param>
    /// <param name="run">The check; returns true while work remains (the timer is armed again).</param>
    public OnDemandTimer(TimeSpan period, Func<bool> run, TimeProvider? time = null)
    {
        _period = period;
        _run = run;
        _timer = (time ?? TimeProvider.System).CreateTimer(
            static state => ((OnDemandTimer)state!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Schedules a run unless one is scheduled. Call after the new work is visible to the check.</summary>
    public void Arm()
    {
        // The fence orders the caller's publication of work before the read of the flag; the run clears the flag (with
        // a fence) before it looks for work. So either this sees the flag cleared and arms, or the run sees the work.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _armed) == 0 && Interlocked.Exchange(ref _armed, 1) == 0)
        {
            _timer.Change(_period, Timeout.InfiniteTimeSpan);
        }
    }

    private void Tick()
    {
        Interlocked.Exchange(ref _armed, 0);
        if (_run())
        {
            Arm();
        }
    }

    public void Dispose() => _timer.Dispose();

    public ValueTask DisposeAsync() => _timer.DisposeAsync();
}
