using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using RespProxy.TestSupport;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>
/// One client on its own connection sending one command every <c>interval</c> and awaiting each reply (10 s deadline unless told otherwise),
/// recording when it was sent, when it was answered, the reply and what was wrong with it. <see cref="PauseAsync"/>
/// returns once no request of this loop is in flight and keeps it so until <see cref="Resume"/>.
/// </summary>
internal sealed class TrafficLoop : IAsyncDisposable, IPausableClient
{
    public static readonly TimeSpan DefaultReplyDeadline = TimeSpan.FromSeconds(10);

    /// <summary>Pause between a reply and the next request.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentQueue<Outcome> _outcomes = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly RawRespClient _client;
    private readonly Func<long, string[]> _command;
    private readonly Func<long, RespValue, string?> _check;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _replyDeadline;
    private Task _loop = Task.CompletedTask;
    private int _okCount;
    private StrongBox<long>? _counter;

    private TrafficLoop(string name, RawRespClient client, Func<long, string[]> command, Func<long, RespValue, string?> check, TimeSpan interval, TimeSpan replyDeadline)
    {
        _replyDeadline = replyDeadline;
        Name = name;
        _client = client;
        _command = command;
        _check = check;
        _interval = interval;
    }

    /// <param name="command">The command for request number N (0, 1, ...).</param>
    /// <param name="check">For a non-error reply: null when it is right, else what is wrong. Runs on the loop, in order.</param>
    public static Task<TrafficLoop> StartAsync(
        string name, SentinelProxy proxy, Func<long, string[]> command, Func<RespValue, string?> check, TimeSpan? replyDeadline = null) =>
        StartAsync(name, proxy, command, (_, reply) => check(reply), replyDeadline);

    /// <param name="check">For a non-error reply to request N: null when it is right, else what is wrong.</param>
    /// <param name="replyDeadline">How long one reply may take before the loop gives up (default 10 s).</param>
    public static async Task<TrafficLoop> StartAsync(
        string name, SentinelProxy proxy, Func<long, string[]> command, Func<long, RespValue, string?> check, TimeSpan? replyDeadline = null)
    {
        var deadline = replyDeadline ?? DefaultReplyDeadline;
        var client = await proxy.ConnectAsync(deadline);
        var loop = new TrafficLoop(name, client, command, check, Interval, deadline);
        loop._loop = Task.Run(loop.RunAsync);
        return loop;
    }

    /// <summary>
    /// A writer INCRing <paramref name="key"/>: each acknowledged INCR must return the previous acknowledged value plus
    /// one (none lost, none applied twice); <see cref="LastCounter"/> is the last acknowledged value.
    /// </summary>
    public static async Task<TrafficLoop> StartIncrAsync(string name, SentinelProxy proxy, string key, TimeSpan? replyDeadline = null)
    {
        var counter = new StrongBox<long>();
        var loop = await StartAsync(name, proxy, _ => ["INCR", key], reply =>
        {
            if (reply.Type != ':' || reply.Integer != counter.Value + 1)
            {
                return $"expected :{counter.Value + 1} (the previous acknowledged value plus one)";
            }

            counter.Value = reply.Integer;
            return null;
        }, replyDeadline);
        loop._counter = counter;
        return loop;
    }

    /// <summary>A reader GETting <paramref name="key"/>, which must always hold <paramref name="expected"/>.</summary>
    public static Task<TrafficLoop> StartGetAsync(string name, SentinelProxy proxy, string key, string expected, TimeSpan? replyDeadline = null) =>
        StartAsync(name, proxy, _ => ["GET", key], reply => reply.Text == expected ? null : $"expected \"{expected}\"", replyDeadline);

    public string Name { get; }

    /// <summary>For <see cref="StartIncrAsync"/> loops: the last value an acknowledged INCR returned.</summary>
    public long LastCounter => Volatile.Read(ref (_counter ?? throw new InvalidOperationException("Not an INCR loop.")).Value);

    public IReadOnlyList<Outcome> Outcomes => [.. _outcomes];

    public int OkCount => Volatile.Read(ref _okCount);

    /// <summary>True once the loop ended on its own: the connection failed or a reply did not come within 10 s.</summary>
    public bool Broken => _loop.IsCompleted && !_stop.IsCancellationRequested;

    public int OkSentAfter(long timestamp) => Outcomes.Count(o => o.Ok && o.SentAt > timestamp);

    public IReadOnlyList<Outcome> Failures => [.. Outcomes.Where(o => !o.Ok)];

    /// <summary>Waits until no request is in flight and sends none until <see cref="Resume"/>.</summary>
    public async Task PauseAsync()
    {
        if (!await _gate.WaitAsync(_replyDeadline * 2))
        {
            throw new TimeoutException($"{Name}: its request in flight did not finish within {(_replyDeadline * 2).TotalSeconds:0} s.");
        }
    }

    public void Resume() => _gate.Release();

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop.WaitAsync(_replyDeadline * 2);
    }

    public string Describe()
    {
        var outcomes = Outcomes;
        var failures = outcomes.Where(o => !o.Ok).Take(10).Select(o => $"  #{o.Sequence}: {o.Problem} (after {o.Latency.TotalMilliseconds:0} ms)");
        return $"{Name}: {outcomes.Count} requests, {outcomes.Count(o => o.Ok)} ok, {outcomes.Count(o => !o.Ok)} failed, " +
            $"max latency {(outcomes.Count == 0 ? 0 : outcomes.Max(o => o.Latency.TotalMilliseconds)):0} ms{(Broken ? ", loop broken" : "")}" +
            (outcomes.Any(o => !o.Ok) ? Environment.NewLine + string.Join(Environment.NewLine, failures) : "");
    }

    /// <summary>Latency percentiles and maximum in ms of the requests sent in [from, to).</summary>
    public string LatencySummary(long from = 0, long to = long.MaxValue)
    {
        var latencies = Outcomes.Where(o => o.SentAt >= from && o.SentAt < to).Select(o => o.Latency.TotalMilliseconds).Order().ToArray();
        if (latencies.Length == 0)
        {
            return $"{Name}: no requests";
        }

        double At(double q) => latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))];
        return string.Create(CultureInfo.InvariantCulture, $"{Name}: {latencies.Length} requests, p50 {At(0.5):0.0} ms, p99 {At(0.99):0.0} ms, max {latencies[^1]:0.0} ms");
    }

    private async Task RunAsync()
    {
        for (long sequence = 0; !_stop.IsCancellationRequested; sequence++)
        {
            try
            {
                await _gate.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {

                var args = _command(sequence);
                long sentAt = Stopwatch.GetTimestamp();
                RespValue reply;
                try
                {
                    reply = await _client.CommandAsync(args);
                }
                catch (Exception ex) when (ex is TimeoutException or IOException or EndOfStreamException or SocketException or ObjectDisposedException)
                {
                    _outcomes.Enqueue(new Outcome(sequence, sentAt, Stopwatch.GetTimestamp(), null, $"{string.Join(' ', args)}: {ex.GetType().Name}: {ex.Message}"));
                    return;
                }

                long repliedAt = Stopwatch.GetTimestamp();
                string? problem = reply.IsError ? $"{string.Join(' ', args)} answered {reply}" : _check(sequence, reply);
                if (problem is null)
                {
                    Interlocked.Increment(ref _okCount);
                }
                else if (!reply.IsError)
                {
                    problem = $"{string.Join(' ', args)} answered {reply}: {problem}";
                }

                _outcomes.Enqueue(new Outcome(sequence, sentAt, repliedAt, reply, problem));
            }
            finally
            {
                _gate.Release();
            }

            try
            {
                await Task.Delay(_interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _client.DisposeAsync();
        try
        {
            await _loop.WaitAsync(_replyDeadline * 2);
        }
        catch (TimeoutException)
        {
            // Disposing the client ends a pending read; a loop that still hangs must not hang the test's cleanup.
        }

        _stop.Dispose();
    }

    /// <summary>One request: Stopwatch timestamps of sending and of the reply; Problem is null when it was right.</summary>
    public sealed record Outcome(long Sequence, long SentAt, long RepliedAt, RespValue? Reply, string? Problem)
    {
        public bool Ok => Problem is null;

        public TimeSpan Latency => Stopwatch.GetElapsedTime(SentAt, RepliedAt);
    }
}
