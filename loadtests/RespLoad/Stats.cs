using HdrHistogram;

namespace RespProxy.LoadTests;

/// <summary>Per-connection counters and latency histograms; written by one connection only.</summary>
public sealed class ConnStats
{
    // Latencies in nanoseconds, 1 us resolution, 3 significant digits, up to 120 s (larger values are clamped).
    public const long LowestNs = 1_000;
    public const long HighestNs = 120_000_000_000;
    private static readonly double NsPerTick = 1e9 / System.Diagnostics.Stopwatch.Frequency;

    private long _replies;

    public ConnStats(IEnumerable<OpKind> ops)
    {
        foreach (OpKind op in ops)
        {
            Latency[(int)op] ??= new IntHistogram(LowestNs, HighestNs, 3);
        }
    }

    public IntHistogram?[] Latency { get; } = new IntHistogram?[OpNames.Count];
    public long[] Verdicts { get; } = new long[VerdictNames.Count];
    public long Nils { get; set; }
    public long Injected { get; set; }
    public long Clamped { get; set; }

    /// <summary>Replies received so far, warm-up included (read by the progress printer).</summary>
    public long Replies => Volatile.Read(ref _replies);

    public void CountReply() => Volatile.Write(ref _replies, _replies + 1);

    public void Record(OpKind op, long elapsedTicks)
    {
        long ns = (long)(elapsedTicks * NsPerTick);
        if (ns > HighestNs)
        {
            ns = HighestNs;
            Clamped++;
        }
        Latency[(int)op]!.RecordValue(ns < 0 ? 0 : ns);
    }
}

/// <summary>Everything a run produced, merged over connections.</summary>
public sealed class RunSummary
{
    public required Options Options { get; init; }
    public required string KeyPrefix { get; init; }
    public required int ValueSize { get; init; }
    public required uint RunId { get; init; }
    public required ulong Seed { get; init; }
    public required double ElapsedSeconds { get; init; }
    public required double WarmupSeconds { get; init; }
    public required bool StoppedByCap { get; init; }
    public required IReadOnlyList<string> Failures { get; init; }
    public required long AllocatedBytes { get; init; }
    public required int Gen0Collections { get; init; }
    public LongHistogram?[] Latency { get; } = new LongHistogram?[OpNames.Count];
    public LongHistogram Total { get; } = new(ConnStats.LowestNs, ConnStats.HighestNs, 3);
    public long[] Verdicts { get; } = new long[VerdictNames.Count];
    public long Nils { get; private set; }
    public long Injected { get; private set; }
    public long Clamped { get; private set; }
    public long Requests => Total.TotalCount;
    public long TotalReplies { get; private set; }
    public long WarmupReplies => TotalReplies - Requests;
    public bool Incomplete => Options.Requests > 0 && Requests < Options.Requests;
    public long Mismatches => Verdicts.Sum() - Verdicts[(int)Verdict.Ok];
    public double Rps => ElapsedSeconds > 0 ? Requests / ElapsedSeconds : 0;
    public double AllocatedPerRequest => Requests > 0 ? (double)AllocatedBytes / Requests : 0;

    public void Add(ConnStats c)
    {
        for (int op = 0; op < OpNames.Count; op++)
        {
            if (c.Latency[op] is { } h)
            {
                (Latency[op] ??= new LongHistogram(ConnStats.LowestNs, ConnStats.HighestNs, 3)).Add(h);
                Total.Add(h);
            }
        }
        for (int v = 0; v < VerdictNames.Count; v++)
        {
            Verdicts[v] += c.Verdicts[v];
        }
        Nils += c.Nils;
        TotalReplies += c.Replies;
        Injected += c.Injected;
        Clamped += c.Clamped;
    }

    public static double Ms(HistogramBase h, double percentile) =>
        h.TotalCount == 0 ? 0 : (percentile >= 100 ? h.GetMaxValue() : h.GetValueAtPercentile(percentile)) / 1e6;
}
