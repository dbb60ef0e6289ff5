using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace RespProxy.IntegrationTests.Standalone;

/// <summary>
/// The backend dies under load, or is not there yet when the proxy starts: every request still gets its own
/// answer (the right one, or "backend unavailable") quickly, and the same proxy recovers once redis is back.
/// </summary>
public sealed class BackendFailureTests(ITestOutputHelper output)
{
    private const string Unavailable = "ERR backend unavailable";
    private static readonly TimeSpan ReplyDeadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Backend_killed_mid_load_every_request_gets_its_own_reply_then_the_proxy_recovers()
    {
        const int Workers = 20;
        await using var redis = await RedisServerProcess.StartAsync();
        await using var proxy = await ProxyTestHost.StartStandaloneAsync(redis.EndPoint, "--Backend:RequestTimeoutMs=2000");
        await WaitUntilSetSucceedsAsync(proxy, redis, "the proxy to reach its backend");

        var prefix = StandaloneProxyFixture.NewPrefix("killed-mid-load");
        var clients = await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => RawRespClient.ConnectAsync(proxy.Host, proxy.Port, ReplyDeadline)));
        try
        {
            using var stop = new CancellationTokenSource();
            var load = new LoadState();
            var workers = clients.Select((client, index) => Task.Run(() => RunWorkerAsync(client, index, prefix, load, stop.Token))).ToArray();

            // Let the load run against a healthy backend first.
            await Wait.UntilAsync(
                () => load.Succeeded >= Workers * 200 || workers.Any(w => w.IsCompleted),
                RecoveryDeadline,
                "successful replies under load before the kill",
                () => load.Describe() + Environment.NewLine + redis.Diagnostics());
            Assert.All(workers, w => Assert.False(w.IsCompleted, "a worker stopped before the kill: " + w.Exception));

            await redis.KillAsync();
            load.MarkKilled();

            // Every worker must learn about it quickly, and keep getting answers (errors) for what it sends after.
            await Wait.UntilAsync(
                () => load.AllWorkersFinishedBatchesAfterKill(Workers, minimum: 3) || workers.Any(w => w.IsCompleted),
                TimeSpan.FromSeconds(10),
                "every worker to complete 3 batches after the backend was killed",
                load.Describe);
            await stop.CancelAsync();
            await Task.WhenAll(workers);

            output.WriteLine(load.Describe());
            Assert.True(load.Errors > 0, "no request failed although the backend was killed: " + load.Describe());
            Assert.True(load.Succeeded > 0, load.Describe());

            // Same proxy, same client connections: once redis is back, requests succeed again.
            await redis.RestartAsync();
            await WaitUntilSetSucceedsAsync(proxy, redis, "the proxy to reconnect to the restarted backend");
            for (int i = 0; i < clients.Length; i++)
            {
                var key = $"{prefix}after:{i}";
                Assert.Equal("+OK", (await clients[i].CommandAsync("SET", key, $"v{i}")).ToString());
                Assert.Equal($"v{i}", (await clients[i].CommandAsync("GET", key)).Text);
            }

            // And the writes really reached the restarted redis.
            await using var direct = await redis.ConnectAsync();
            Assert.Equal("v7", (await direct.CommandAsync("GET", $"{prefix}after:7")).Text);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private sealed class LoadState
    {
        private readonly ConcurrentDictionary<int, int> _batchesAfterKill = new();
        private long _succeeded;
        private long _errors;
        private long _batches;
        private long _errorsOnRequestsSentBeforeKill;
        private volatile bool _killed;

        public long Succeeded => Interlocked.Read(ref _succeeded);

        public long Errors => Interlocked.Read(ref _errors);

        public bool Killed => _killed;

        public void MarkKilled() => _killed = true;

        public void Count(bool success, bool sentAfterKill)
        {
            if (!success && !sentAfterKill)
            {
                Interlocked.Increment(ref _errorsOnRequestsSentBeforeKill);
            }

            if (success)
            {
                Interlocked.Increment(ref _succeeded);
            }
            else
            {
                Interlocked.Increment(ref _errors);
            }
        }

        public void BatchDone(int worker, bool sentAfterKill)
        {
            Interlocked.Increment(ref _batches);
            if (sentAfterKill)
            {
                _batchesAfterKill.AddOrUpdate(worker, 1, (_, n) => n + 1);
            }
        }

        public bool AllWorkersFinishedBatchesAfterKill(int workers, int minimum) =>
            _batchesAfterKill.Count == workers && _batchesAfterKill.Values.All(n => n >= minimum);

        public string Describe() =>
            $"batches {Interlocked.Read(ref _batches)}, ok replies {Succeeded}, error replies {Errors} " +
            $"({Interlocked.Read(ref _errorsOnRequestsSentBeforeKill)} for requests sent before the kill), killed {_killed}, " +
            $"workers with batches after the kill {_batchesAfterKill.Count}";
    }

    private readonly record struct SentBatch(string[] Keys, string[] Values, bool SentAfterKill);

    // One client: a writer keeps up to 3 batches of 25 SET/GET pairs in flight while a reader checks every reply.
    private static async Task RunWorkerAsync(RawRespClient client, int worker, string prefix, LoadState load, CancellationToken stop)
    {
        const int PairsPerBatch = 25;
        var inFlight = Channel.CreateBounded<SentBatch>(3);
        var reader = Task.Run(async () =>
        {
            await foreach (var batch in inFlight.Reader.ReadAllAsync())
            {
                for (int i = 0; i < batch.Keys.Length; i++)
                {
                    var setReply = await client.ReadAsync();
                    var getReply = await client.ReadAsync();
                    CheckPair(worker, batch, i, setReply, getReply, load);
                }

                load.BatchDone(worker, batch.SentAfterKill);
            }
        }, CancellationToken.None); // the reader drains every batch sent, even after the stop signal

        try
        {
            for (int sequence = 0; !stop.IsCancellationRequested && !reader.IsCompleted; sequence++)
            {
                var keys = new string[PairsPerBatch];
                var values = new string[PairsPerBatch];
                var commands = new RespBatch();
                for (int i = 0; i < PairsPerBatch; i++)
                {
                    keys[i] = $"{prefix}{worker}:{sequence}:{i}";
                    values[i] = $"{worker}-{sequence}-{i}-{Guid.NewGuid():N}";
                    commands.Add("SET", keys[i], values[i]);
                    commands.Add("GET", keys[i]);
                }

                // Recorded before sending, so the reader always knows what it is waiting for.
                var sent = new SentBatch(keys, values, load.Killed);
                try
                {
                    await inFlight.Writer.WriteAsync(sent, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                await client.SendRawAsync(commands.Bytes);
            }
        }
        finally
        {
            inFlight.Writer.TryComplete();
        }

        await reader;
    }

    private static void CheckPair(int worker, SentBatch batch, int index, RespValue setReply, RespValue getReply, LoadState load)
    {
        string where = $"worker {worker}, key {batch.Keys[index]} (sent {(batch.SentAfterKill ? "after" : "before")} the kill)";
        bool setOk = setReply.Type == '+' && setReply.Text == "OK";
        Assert.True(setOk || IsUnavailable(setReply), $"{where}: SET got {setReply}");

        // GET must see this pair's own value: the SET before it on the same connection was executed first. If the SET
        // failed, the key may be missing, or present when redis ran the SET but died before answering.
        bool getOk = getReply.Type == '$' && getReply.Text == batch.Values[index];
        bool getMissingAfterFailedSet = getReply.IsNull && !setOk;
        Assert.True(getOk || getMissingAfterFailedSet || IsUnavailable(getReply), $"{where}: SET got {setReply}, then GET got {getReply}");

        if (batch.SentAfterKill)
        {
            // The process had exited before these were sent: only errors can be right.
            Assert.True(IsUnavailable(setReply) && IsUnavailable(getReply), $"{where}: the backend was already dead, yet SET got {setReply} and GET got {getReply}");
        }

        load.Count(setOk, batch.SentAfterKill);
        load.Count(getOk, batch.SentAfterKill);
    }

    private static bool IsUnavailable(RespValue reply) =>
        reply.Type == '-' && reply.Text!.StartsWith(Unavailable, StringComparison.Ordinal);

    [Fact]
    public async Task Backend_down_at_start_requests_fail_fast_then_succeed_once_redis_starts()
    {
        int port = FreePort.Next();
        await using var proxy = await ProxyTestHost.StartStandaloneAsync($"127.0.0.1:{port}", "--Backend:RequestTimeoutMs=2000");
        await using (var client = await RawRespClient.ConnectAsync(proxy.Host, proxy.Port, ReplyDeadline))
        {
            var elapsed = Stopwatch.StartNew();
            var reply = await client.CommandAsync("SET", "down-at-start", "v");
            elapsed.Stop();
            Assert.True(IsUnavailable(reply), $"expected -{Unavailable} ..., got {reply}");
            Assert.Contains($"127.0.0.1:{port}", reply.Text, StringComparison.Ordinal);
            Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(2), $"the error took {elapsed.Elapsed.TotalMilliseconds:0} ms");

            // Locally answered commands do not need the backend, and the connection stays open.
            Assert.Equal("+PONG", (await client.CommandAsync("PING")).ToString());
            Assert.True(IsUnavailable(await client.CommandAsync("GET", "down-at-start")));

            await using var redis = await RedisServerProcess.StartAsync(port: port);
            Assert.Equal(port, redis.Port);
            await Wait.UntilAsync(
                async () => (await client.CommandAsync("SET", "down-at-start", "v")).ToString() == "+OK",
                RecoveryDeadline,
                "a SET through the proxy to succeed once redis listens on the backend port",
                redis.Diagnostics);
            Assert.Equal("v", (await client.CommandAsync("GET", "down-at-start")).Text);
            await using var direct = await redis.ConnectAsync();
            Assert.Equal("v", (await direct.CommandAsync("GET", "down-at-start")).Text);
        }
    }

    [Fact]
    public async Task Hung_backend_requests_fail_after_the_request_timeout_then_the_proxy_recovers()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        await using var proxy = await ProxyTestHost.StartStandaloneAsync(redis.EndPoint, "--Backend:RequestTimeoutMs=1000");
        await WaitUntilSetSucceedsAsync(proxy, redis, "the proxy to reach its backend");
        await using var client = await RawRespClient.ConnectAsync(proxy.Host, proxy.Port, ReplyDeadline);
        Assert.Equal("+OK", (await client.CommandAsync("SET", "hung:k", "before")).ToString());

        // SIGSTOP: the sockets stay open but nothing answers.
        redis.Suspend();
        try
        {
            var elapsed = Stopwatch.StartNew();
            await client.SendRawAsync(new RespBatch().Add("GET", "hung:k").Add("INCR", "hung:n").Add("GET", "hung:k").Bytes);
            for (int i = 0; i < 3; i++)
            {
                var reply = await client.ReadAsync();
                Assert.True(IsUnavailable(reply), $"reply {i} while the backend is hung: {reply}");
                if (i == 0)
                {
                    Assert.Contains("no reply within 1000 ms", reply.Text, StringComparison.Ordinal);
                }
            }

            Assert.InRange(elapsed.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(4));

            // Locally answered commands keep working during the outage.
            Assert.Equal("+PONG", (await client.CommandAsync("PING")).ToString());
        }
        finally
        {
            redis.Resume();
        }

        await WaitUntilSetSucceedsAsync(proxy, redis, "the proxy to recover once the backend runs again");
        Assert.Equal("+OK", (await client.CommandAsync("SET", "hung:k", "after")).ToString());
        Assert.Equal("after", (await client.CommandAsync("GET", "hung:k")).Text);
    }

    private static async Task WaitUntilSetSucceedsAsync(ProxyTestHost proxy, RedisServerProcess redis, string what)
    {
        await using var probe = await RawRespClient.ConnectAsync(proxy.Host, proxy.Port, ReplyDeadline);
        await Wait.UntilAsync(
            async () => (await probe.CommandAsync("SET", "probe:" + what, "1")).ToString() == "+OK",
            RecoveryDeadline,
            what,
            redis.Diagnostics);
    }
}
