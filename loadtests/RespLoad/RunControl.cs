using System.Diagnostics;

namespace RespProxy.LoadTests;

/// <summary>
/// Run phases (warm-up, measure, stop) and the request budgets the connections claim from. Shared by all
/// connections; lock-free.
/// </summary>
public sealed class RunControl
{
    public const int Warmup = 0, Measure = 1, Stop = 2;

    private readonly bool _limited;
    private readonly bool _warmupByCount;
    private long _left;
    private long _warmupLeft;
    private int _phase;
    private long _measureStartTs;

    public RunControl(long requests, long warmupRequests, bool warmupByTime)
    {
        _limited = requests > 0;
        _left = requests;
        _warmupByCount = warmupRequests > 0;
        _warmupLeft = warmupRequests;
        if (!_warmupByCount && !warmupByTime)
        {
            _phase = Measure;
            _measureStartTs = Stopwatch.GetTimestamp();
        }
    }

    public int Phase => Volatile.Read(ref _phase);

    /// <summary>Stopwatch timestamp at which measuring began; 0 while still warming up.</summary>
    public long MeasureStartTs => Volatile.Read(ref _measureStartTs);

    /// <summary>How many of <paramref name="want"/> requests the caller may send now (0 = send no more).</summary>
    public int Claim(int want, out bool measured)
    {
        measured = false;
        int phase = Phase;
        if (phase == Warmup)
        {
            if (!_warmupByCount)
            {
                return want;
            }
            int got = Take(ref _warmupLeft, want);
            if (got > 0)
            {
                return got;
            }
            StartMeasuring();
            phase = Phase;
        }
        if (phase != Measure)
        {
            return 0;
        }
        measured = true;
        return _limited ? Take(ref _left, want) : want;
    }

    public void StartMeasuring()
    {
        // Idempotent: the first caller sets the start time; every caller makes sure the phase has moved on.
        Interlocked.CompareExchange(ref _measureStartTs, Stopwatch.GetTimestamp(), 0);
        Interlocked.CompareExchange(ref _phase, Measure, Warmup);
    }

    public void StopIssuing() => Volatile.Write(ref _phase, Stop);

    private static int Take(ref long left, int want)
    {
        while (true)
        {
            long cur = Volatile.Read(ref left);
            if (cur <= 0)
            {
                return 0;
            }
            long got = Math.Min(cur, want);
            if (Interlocked.CompareExchange(ref left, cur - got, cur) == cur)
            {
                return (int)got;
            }
        }
    }
}
