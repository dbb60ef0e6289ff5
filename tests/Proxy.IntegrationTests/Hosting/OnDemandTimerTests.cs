using RespProxy.Hosting;
using Xunit;

namespace RespProxy.IntegrationTests.Hosting;

/// <summary>
/// The request-timeout check and the write-hold pump run only while they have work: armed by whoever creates it, again
/// after each run that still finds some, and never left unarmed while work waits. A hand-driven clock fires the timer,
/// so the tests see every schedule and run without waiting.
/// </summary>
public sealed class OnDemandTimerTests
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    [Fact]
    public void Nothing_is_scheduled_until_work_arms_it()
    {
        var clock = new ManualClock();
        int runs = 0;
        using var timer = new OnDemandTimer(Period, () => { runs++; return false; }, clock);

        Assert.False(clock.Timer.IsScheduled);
        Assert.Equal(0, runs);

        timer.Arm();

        Assert.True(clock.Timer.IsScheduled);
        Assert.Equal(Period, clock.Timer.DueTime);
        Assert.Equal(Timeout.InfiniteTimeSpan, clock.Timer.Period); // one-shot: stopping is not arming again
    }

    [Fact]
    public void It_runs_again_while_work_remains_and_stops_when_none_is_left()
    {
        var clock = new ManualClock();
        int runs = 0;
        int workLeft = 3;
        using var timer = new OnDemandTimer(Period, () => { runs++; return --workLeft > 0; }, clock);

        timer.Arm();
        for (int expected = 1; expected <= 3; expected++)
        {
            Assert.True(clock.Timer.IsScheduled, $"not scheduled before run {expected}");
            clock.Timer.Fire();
            Assert.Equal(expected, runs);
        }

        Assert.False(clock.Timer.IsScheduled);
    }

    [Fact]
    public void Arming_while_scheduled_keeps_the_first_due_time()
    {
        var clock = new ManualClock();
        using var timer = new OnDemandTimer(Period, () => false, clock);

        timer.Arm();
        timer.Arm();
        timer.Arm();

        Assert.Equal(1, clock.Timer.Changes);
        clock.Timer.Fire();
        Assert.False(clock.Timer.IsScheduled);

        // After a run that found nothing, new work arms it again.
        timer.Arm();
        Assert.True(clock.Timer.IsScheduled);
        Assert.Equal(2, clock.Timer.Changes);
    }

    [Fact]
    public void Work_created_while_a_run_looks_is_never_left_unarmed()
    {
        // The run finds nothing, but work arrives (and arms) after the run cleared its flag: the timer stays scheduled.
        var clock = new ManualClock();
        OnDemandTimer? timer = null;
        timer = new OnDemandTimer(Period, () => { timer!.Arm(); return false; }, clock);
        using var owned = timer;

        timer.Arm();
        clock.Timer.Fire();

        Assert.True(clock.Timer.IsScheduled);
    }

    private sealed class ManualClock : TimeProvider
    {
        public ManualTimer Timer { get; private set; } = null!;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Timer = new ManualTimer(callback, state);
            Timer.Change(dueTime, period);
            Timer.Changes = 0;
            return Timer;
        }
    }

    private sealed class ManualTimer(TimerCallback callback, object? state) : ITimer
    {
        public TimeSpan DueTime { get; private set; } = Timeout.InfiniteTimeSpan;

        public TimeSpan Period { get; private set; } = Timeout.InfiniteTimeSpan;

        public int Changes { get; set; }

        public bool IsScheduled => DueTime != Timeout.InfiniteTimeSpan;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueTime = dueTime;
            Period = period;
            Changes++;
            return true;
        }

        /// <summary>The due time has come: a one-shot timer is no longer scheduled once it fires.</summary>
        public void Fire()
        {
            Assert.True(IsScheduled, "fired a timer that was not scheduled");
            if (Period == Timeout.InfiniteTimeSpan)
            {
                DueTime = Timeout.InfiniteTimeSpan;
            }

            callback(state);
        }

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
