using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace RespProxy.LoadTests;

/// <summary>
/// Connects, runs all connections, and drives the run: warm-up switch, --duration, the --max-duration hard cap,
/// stalled connections, progress lines. Returns the merged result.
/// </summary>
public static class Supervisor
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);

    public static async Task<RunSummary> RunAsync(Options o, MismatchLog log, TextWriter progress)
    {
        long t0 = Stopwatch.GetTimestamp();
        uint runId = (uint)RandomNumberGenerator.GetInt32(int.MaxValue);
        ulong seed = o.Seed != 0 ? o.Seed : (ulong)RandomNumberGenerator.GetInt32(int.MaxValue) << 20;
        string prefix = o.KeyPrefix ?? (o.Verify ? $"rlv:{runId:x8}:" : "key:");
        int valueSize = o.Verify ? Math.Max(o.ValueSize, ValueFormat.MinSize) : o.ValueSize;
        if (valueSize != o.ValueSize && !o.Quiet)
        {
            progress.WriteLine($"note: --verify needs values of at least {ValueFormat.MinSize} bytes; using {valueSize}");
        }

        var workload = new Workload(seed, o.Mix, o.KeySpace, o.KeysPerMulti);
        var sent = new SentLog(o.Clients);
        var verifier = new ReplyVerifier(workload, sent, o.Verify, runId, valueSize, freshCounters: o.Verify && o.KeyPrefix is null);
        var control = new RunControl(o.Requests, o.WarmupRequests, o.WarmupTime > TimeSpan.Zero);
        OpKind[] ops = [.. o.Mix.Select(m => m.Op)];
        int maxReply = 64 + (Math.Max(1, o.KeysPerMulti) * (valueSize + 24));

        Socket[] sockets = await ConnectAllAsync(o).ConfigureAwait(false);
        var runners = new ConnectionRunner[o.Clients];
        for (int i = 0; i < runners.Length; i++)
        {
            var encoder = new RequestEncoder(workload, i, ops, prefix, valueSize, o.Verify, runId);
            runners[i] = new ConnectionRunner(i, sockets[i], workload, encoder, verifier, control, sent, log,
                new ConnStats(ops), o.Pipeline, o.Window, o.InjectFaultEvery, maxReply);
        }

        long start = Stopwatch.GetTimestamp();
        long warmupEnd = start + Ticks(o.WarmupTime);
        long hardEnd = t0 + Ticks(o.MaxDuration);
        long drainGrace = Ticks(TimeSpan.FromSeconds(Math.Min(5, o.StallTimeout.TotalSeconds)));
        long stall = Ticks(o.StallTimeout);
        Task all = Task.WhenAll(runners.Select(r => Task.Run(r.RunAsync)));
        long allocStart = -1, capTs = 0, nextProgress = start + Stopwatch.Frequency, lastReplies = 0;
        int gcStart = 0;
        bool cap = false;
        while (!all.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(Tick)).ConfigureAwait(false);
            long now = Stopwatch.GetTimestamp();
            if (control.Phase == RunControl.Warmup && o.WarmupTime > TimeSpan.Zero && now >= warmupEnd)
            {
                control.StartMeasuring();
            }
            if (allocStart < 0 && control.Phase != RunControl.Warmup)
            {
                allocStart = GC.GetTotalAllocatedBytes(precise: true);
                gcStart = GC.CollectionCount(0);
            }
            if (control.Phase == RunControl.Measure && o.Duration is { } d && control.MeasureStartTs != 0
                && now - control.MeasureStartTs >= Ticks(d))
            {
                control.StopIssuing();
            }
            if (!cap && now >= hardEnd)
            {
                cap = true;
                capTs = now;
                control.StopIssuing();
                progress.WriteLine($"--max-duration {o.MaxDuration.TotalSeconds:0.###}s reached: stopping");
            }
            foreach (var r in runners)
            {
                if (cap && now - capTs > drainGrace)
                {
                    r.Abort(null);   // reported as "stopped by --max-duration" (exit 4), not as a failure
                }
                else if (r.InFlight > 0 && now - r.LastProgressTs > stall)
                {
                    r.Abort($"no reply for {o.StallTimeout.TotalSeconds:0.###}s with {r.InFlight} requests in flight");
                }
            }
            if (!o.Quiet && now >= nextProgress)
            {
                long replies = runners.Sum(r => r.Stats.Replies);
                string phase = control.Phase switch { RunControl.Warmup => "warm-up", RunControl.Measure => "measure", _ => "drain" };
                progress.WriteLine($"[{(now - start) / (double)Stopwatch.Frequency,6:0.0}s] {phase,-7} {replies - lastReplies,10:N0} replies/s  total {replies:N0}");
                lastReplies = replies;
                nextProgress += Stopwatch.Frequency;
            }
        }
        await all.ConfigureAwait(false);
        long allocEnd = GC.GetTotalAllocatedBytes(precise: true);
        int gcEnd = GC.CollectionCount(0);

        long measureStart = control.MeasureStartTs;
        long lastReply = runners.Max(r => r.LastMeasuredReplyTs);
        var summary = new RunSummary
        {
            Options = o,
            KeyPrefix = prefix,
            ValueSize = valueSize,
            RunId = runId,
            Seed = seed,
            ElapsedSeconds = measureStart != 0 && lastReply > measureStart ? (lastReply - measureStart) / (double)Stopwatch.Frequency : 0,
            WarmupSeconds = measureStart > start ? (measureStart - start) / (double)Stopwatch.Frequency : 0,
            StoppedByCap = cap,
            Failures = [.. runners.Select(r => r.Failure).OfType<string>()],
            AllocatedBytes = allocStart < 0 ? 0 : allocEnd - allocStart,
            Gen0Collections = allocStart < 0 ? 0 : gcEnd - gcStart,
        };
        foreach (var r in runners)
        {
            summary.Add(r.Stats);
        }
        return summary;
    }

    private static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Connects every client (64 at a time, to stay under the server's accept backlog).</summary>
    private static async Task<Socket[]> ConnectAllAsync(Options o)
    {
        var endPoint = new IPEndPoint(o.Address, o.Port);
        var sockets = new List<Socket>(o.Clients);
        using var cts = new CancellationTokenSource(o.ConnectTimeout);
        try
        {
            for (int first = 0; first < o.Clients; first += 64)
            {
                var batch = Enumerable.Range(first, Math.Min(64, o.Clients - first)).Select(async _ =>
                {
                    var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    lock (sockets)
                    {
                        sockets.Add(s);
                    }
                    await s.ConnectAsync(endPoint, cts.Token).ConfigureAwait(false);
                });
                await Task.WhenAll(batch).ConfigureAwait(false);
            }
            return [.. sockets];
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
            string why = ex is OperationCanceledException ? $"timed out after {o.ConnectTimeout.TotalSeconds:0.###}s" : ex.Message;
            throw new ConnectFailedException($"cannot connect to {endPoint}: {why}", ex);
        }
    }
}

public sealed class ConnectFailedException : Exception
{
    public ConnectFailedException() { }
    public ConnectFailedException(string message) : base(message) { }
    public ConnectFailedException(string message, Exception inner) : base(message, inner) { }
}
