using System.Text;
using Microsoft.Extensions.DependencyInjection;
using RespProxy.Backends;
using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.TestSupport;
using Xunit;

namespace RespProxy.IntegrationTests.Standalone;

/// <summary>
/// Replies matched to requests under load: many clients pipelining over the proxy's few shared backend connections
/// must each get exactly their own replies, in their own request order; large values of mixed sizes survive a
/// deep pipeline byte for byte.
/// </summary>
public sealed class PipelineIntegrityTests(StandaloneProxyFixture fixture) : IClassFixture<StandaloneProxyFixture>
{
    private const int Connections = 50;
    private const int CommandsPerConnection = 1000;
    private const int BatchesPerConnection = 4;

    private enum Kind : byte
    {
        Set,
        Get,
        Incr,
    }

    private readonly record struct Expected(Kind Kind, string Text, long Integer);

    [Fact]
    public async Task Fifty_pipelining_clients_each_get_exactly_their_own_replies_in_order()
    {
        var prefix = StandaloneProxyFixture.NewPrefix("ordering");
        await WithClientsAsync(Connections, timeout: null,
            clients => Task.WhenAll(clients.Select((client, index) => RunClientAsync(client, index, prefix))));

        // The backend saw every INCR exactly once per client.
        await using var check = await fixture.ConnectAsync();
        var counter = await check.CommandAsync("GET", $"{prefix}counter:{Connections - 1}");
        Assert.Equal((CommandsPerConnection + 1) / 3, int.Parse(counter.Text!, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task RunClientAsync(RawRespClient client, int connection, string prefix)
    {
        // Command i: SET a fresh key to a value no other request uses, GET that key back, or INCR this client's
        // counter. A reply that belongs to any other request (of this client or another) cannot match.
        var expected = new Expected[CommandsPerConnection];
        var batches = new List<RespBatch>();
        var batch = new RespBatch();
        string counterKey = $"{prefix}counter:{connection}";
        string lastKey = "", lastValue = "";
        long increments = 0;
        int batchSize = CommandsPerConnection / BatchesPerConnection;
        for (int i = 0; i < CommandsPerConnection; i++)
        {
            switch (i % 3)
            {
                case 0:
                    lastKey = $"{prefix}{connection}:{i}";
                    lastValue = $"value-{connection}-{i}-{Guid.NewGuid():N}";
                    batch.Add("SET", lastKey, lastValue);
                    expected[i] = new Expected(Kind.Set, "OK", 0);
                    break;
                case 1:
                    batch.Add("GET", lastKey);
                    expected[i] = new Expected(Kind.Get, lastValue, 0);
                    break;
                default:
                    batch.Add("INCR", counterKey);
                    expected[i] = new Expected(Kind.Incr, "", ++increments);
                    break;
            }

            if (batch.Count == batchSize)
            {
                batches.Add(batch);
                batch = new RespBatch();
            }
        }

        Assert.Equal(0, batch.Count);

        var reading = ReadAndCheckAsync(client, connection, expected);
        foreach (var pending in batches)
        {
            await client.SendRawAsync(pending.Bytes);
        }

        await reading;
    }

    private static async Task ReadAndCheckAsync(RawRespClient client, int connection, Expected[] expected)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            var reply = await client.ReadAsync();
            var want = expected[i];
            bool matches = want.Kind switch
            {
                Kind.Set => reply.Type == '+' && reply.Text == "OK",
                Kind.Get => reply.Type == '$' && reply.Text == want.Text,
                _ => reply.Type == ':' && reply.Integer == want.Integer,
            };
            Assert.True(matches, $"connection {connection}, command {i} ({want.Kind}): expected {(want.Kind == Kind.Incr ? ":" + want.Integer : want.Text)}, got {reply}");
        }
    }

    [Fact]
    public async Task Pipeline_deeper_than_the_per_client_pending_limit_is_answered_completely_in_order()
    {
        // 20,000 requests in one write: far more than Proxy:MaxPendingRequestsPerClient (4096), so the proxy has to
        // stop reading this client and resume as replies drain.
        const int Count = 20_000;
        var key = StandaloneProxyFixture.NewPrefix("deep-pipeline") + "n";
        var batch = new RespBatch();
        for (int i = 0; i < Count; i++)
        {
            batch.Add("INCR", key);
        }

        await using var client = await fixture.ConnectAsync();
        var sending = client.SendRawAsync(batch.Bytes);
        for (int i = 1; i <= Count; i++)
        {
            var reply = await client.ReadAsync();
            Assert.True(reply.Type == ':' && reply.Integer == i, $"reply {i}: expected :{i}, got {reply}");
        }

        await sending;
        Assert.Equal(Count.ToString(System.Globalization.CultureInfo.InvariantCulture), (await client.CommandAsync("GET", key)).Text);
    }

    [Fact]
    public async Task Client_that_disconnects_with_replies_outstanding_does_not_disturb_others()
    {
        var prefix = StandaloneProxyFixture.NewPrefix("abandoned");
        var big = new byte[256 * 1024];
        new Random(3).NextBytes(big);
        await using var bystander = await fixture.ConnectAsync();
        Assert.Equal("+OK", (await bystander.CommandAsync(Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes(prefix + "big"), big)).ToString());

        // Several clients ask for a 256 KB value many times over (64 MB of replies in all) and leave without reading any.
        for (int round = 0; round < 5; round++)
        {
            var batch = new RespBatch();
            for (int i = 0; i < 50; i++)
            {
                batch.Add("GET", prefix + "big");
            }

            await using var leaver = await fixture.ConnectAsync();
            await leaver.SendRawAsync(batch.Bytes);
        }

        // Everyone else is served, correctly, meanwhile and afterwards.
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal("+OK", (await bystander.CommandAsync("SET", $"{prefix}k{i}", $"v{i}")).ToString());
            Assert.Equal($"v{i}", (await bystander.CommandAsync("GET", $"{prefix}k{i}")).Text);
        }

        var read = await bystander.CommandAsync("GET", prefix + "big");
        Assert.True(big.AsSpan().SequenceEqual(read.Bulk), "the 256 KB value read back differs");
        await using var newcomer = await fixture.ConnectAsync();
        Assert.Equal("v19", (await newcomer.CommandAsync("GET", $"{prefix}k19")).Text);
    }

    [Fact]
    public async Task Two_hundred_sets_of_mixed_sizes_and_their_gets_in_one_pipeline()
    {
        const int Count = 200;
        const int MaxSize = 200 * 1024;
        var prefix = StandaloneProxyFixture.NewPrefix("large-pipeline");
        var random = new Random(8);
        var values = new byte[Count][];
        for (int i = 0; i < Count; i++)
        {
            // Mostly random sizes, plus the edges: empty, one byte, exactly the maximum.
            int size = i switch { 0 => 0, 1 => 1, 2 => MaxSize, _ => random.Next(0, MaxSize + 1) };
            values[i] = new byte[size];
            random.NextBytes(values[i]);
        }

        var batch = new RespBatch();
        for (int i = 0; i < Count; i++)
        {
            batch.Add(Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes($"{prefix}{i}"), values[i]);

            // Every tenth value is read back right after its SET, the rest after all of them.
            if (i % 10 == 0)
            {
                batch.Add("GET", $"{prefix}{i}");
            }
        }

        for (int i = 0; i < Count; i++)
        {
            batch.Add("GET", $"{prefix}{i}");
        }

        batch.Add("STRLEN", $"{prefix}2");

        await using var client = await fixture.ConnectAsync(TimeSpan.FromSeconds(30));
        var sending = client.SendRawAsync(batch.Bytes);
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal("+OK", (await client.ReadAsync()).ToString());
            if (i % 10 == 0)
            {
                AssertValue(i, await client.ReadAsync());
            }
        }

        for (int i = 0; i < Count; i++)
        {
            AssertValue(i, await client.ReadAsync());
        }

        Assert.Equal($":{MaxSize}", (await client.ReadAsync()).ToString());
        await sending;
        Assert.Equal("+PONG", (await client.CommandAsync("PING")).ToString());

        void AssertValue(int index, RespValue reply)
        {
            Assert.Equal('$', reply.Type);
            Assert.NotNull(reply.Bulk);
            Assert.True(values[index].AsSpan().SequenceEqual(reply.Bulk),
                $"value {index} ({values[index].Length} bytes) came back as {reply.Bulk!.Length} different bytes");
        }
    }

    [Fact]
    public async Task Clients_mixing_large_and_small_replies_each_get_their_own_bytes_in_order()
    {
        // Large replies go straight from the backend's buffer to their client when they are next in its order; the
        // rest are copied and gathered per batch. Both ways interleave within a client and across clients, and half
        // the clients start reading only after the others are done, so their replies back up in the proxy.
        const int Clients = 20;
        const int GetsPerClient = 150;
        int[] sizes = [0, 1, 100, 4095, 4096, 4097, 16 * 1024, 70_000, 200_000];
        var prefix = StandaloneProxyFixture.NewPrefix("mixed-sizes");
        var random = new Random(21);
        var values = sizes.Select(size =>
        {
            var value = new byte[size];
            random.NextBytes(value);
            return value;
        }).ToArray();

        await using (var setup = await fixture.ConnectAsync(TimeSpan.FromSeconds(30)))
        {
            for (int k = 0; k < values.Length; k++)
            {
                var set = await setup.CommandAsync(Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes($"{prefix}{k}"), values[k]);
                Assert.Equal("+OK", set.ToString());
            }
        }

        await WithClientsAsync(Clients, TimeSpan.FromSeconds(60), clients =>
        {
            var prompt = Enumerable.Range(0, Clients).Where(i => i % 2 == 0).Select(i => RunAsync(clients[i], i, Task.CompletedTask)).ToArray();
            var othersDone = Task.WhenAll(prompt);
            var late = Enumerable.Range(0, Clients).Where(i => i % 2 == 1).Select(i => RunAsync(clients[i], i, othersDone)).ToArray();
            return Task.WhenAll(prompt.Concat(late));
        });

        async Task RunAsync(RawRespClient client, int index, Task startReading)
        {
            var order = new Random(100 + index);
            var keys = new int[GetsPerClient];
            var batch = new RespBatch();
            for (int i = 0; i < GetsPerClient; i++)
            {
                keys[i] = order.Next(values.Length);
                batch.Add("GET", $"{prefix}{keys[i]}");

                // A counter of this client's own between the GETs: no other request's reply can pass for its reply.
                batch.Add("INCR", $"{prefix}counter:{index}");
            }

            await client.SendRawAsync(batch.Bytes);
            await startReading;
            for (int i = 0; i < GetsPerClient; i++)
            {
                var value = values[keys[i]];
                var reply = await client.ReadAsync();
                Assert.True(reply.Type == '$' && value.AsSpan().SequenceEqual(reply.Bulk),
                    $"client {index}, GET {i} of a {value.Length}-byte value: got '{reply.Type}' with {reply.Bulk?.Length} bytes");
                var counter = await client.ReadAsync();
                Assert.True(counter.Type == ':' && counter.Integer == i + 1, $"client {index}, INCR {i}: expected :{i + 1}, got {counter}");
            }
        }
    }

    [Fact]
    public async Task Clients_pipelining_large_sets_at_once_each_get_their_own_acknowledgements_and_values()
    {
        // A client's socket gets a bounded number of reads per turn of the event loop (256 KB), so the requests of
        // clients that stream large values at the same time reach Redis interleaved, some of them cut at a turn's end,
        // including values larger than one turn. Every SET is followed by an INCR of the client's own counter, so no
        // other request's reply can pass for its acknowledgement; then every value is read back.
        const int Clients = 10;
        const int SetsPerClient = 30;
        int[] sizes = [0, 1, 4096, 16 * 1024, 64 * 1024, 65_537, 200_000, 256 * 1024, 300_000];
        var prefix = StandaloneProxyFixture.NewPrefix("large-sets");
        await WithClientsAsync(Clients, TimeSpan.FromSeconds(60), clients => Task.WhenAll(clients.Select(RunAsync)));

        async Task RunAsync(RawRespClient client, int index)
        {
            var random = new Random(300 + index);
            var values = new byte[SetsPerClient][];
            var batch = new RespBatch();
            for (int i = 0; i < SetsPerClient; i++)
            {
                values[i] = new byte[sizes[random.Next(sizes.Length)]];
                random.NextBytes(values[i]);
                batch.Add(Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes($"{prefix}{index}:{i}"), values[i]);
                batch.Add("INCR", $"{prefix}counter:{index}");
            }

            var sending = client.SendRawAsync(batch.Bytes);
            for (int i = 0; i < SetsPerClient; i++)
            {
                Assert.Equal("+OK", (await client.ReadAsync()).ToString());
                var counter = await client.ReadAsync();
                Assert.True(counter.Type == ':' && counter.Integer == i + 1, $"client {index}, INCR {i}: expected :{i + 1}, got {counter}");
            }

            await sending;
            var gets = new RespBatch();
            for (int i = 0; i < SetsPerClient; i++)
            {
                gets.Add("GET", $"{prefix}{index}:{i}");
            }

            await client.SendRawAsync(gets.Bytes);
            for (int i = 0; i < SetsPerClient; i++)
            {
                var reply = await client.ReadAsync();
                Assert.True(reply.Type == '$' && values[i].AsSpan().SequenceEqual(reply.Bulk),
                    $"client {index}, value {i} ({values[i].Length} bytes): got '{reply.Type}' with {reply.Bulk?.Length} bytes");
            }
        }
    }

    [Fact]
    public async Task Large_sets_written_straight_to_the_backend_stay_in_order_with_small_requests_of_other_clients()
    {
        // A large SET for the master skips its slot: it joins a batch sent from its client's input blocks (or, when the
        // backend's output holds unflushed bytes, is copied there) and leaves at the end of the event batch; small
        // requests other clients queue in the same batch must leave behind it, not ahead of it in a direct send. Writers send one SET plus an INCR of their own counter at a time (so the
        // backend's output is usually free and the straight path is taken), while other clients pipeline INCRs.
        const int Writers = 8;
        const int SetsPerWriter = 25;
        const int Counters = 8;
        const int IncrsPerCounter = 400;
        int[] sizes = [16 * 1024 + 1, 20_000, 64 * 1024, 100_000, 300_000];
        var prefix = StandaloneProxyFixture.NewPrefix("straight-sets");
        await WithClientsAsync(Writers + Counters, TimeSpan.FromSeconds(60), clients => Task.WhenAll(
            clients.Take(Writers).Select((client, index) => WriteAsync(client, index))
                .Concat(clients.Skip(Writers).Select((client, index) => CountAsync(client, Writers + index)))));

        async Task WriteAsync(RawRespClient client, int index)
        {
            var random = new Random(500 + index);
            var values = new byte[SetsPerWriter][];
            for (int i = 0; i < SetsPerWriter; i++)
            {
                values[i] = new byte[sizes[random.Next(sizes.Length)]];
                random.NextBytes(values[i]);
                var pair = new RespBatch()
                    .Add(Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes($"{prefix}{index}:{i}"), values[i])
                    .Add("INCR", $"{prefix}counter:{index}");
                await client.SendRawAsync(pair.Bytes);
                Assert.Equal("+OK", (await client.ReadAsync()).ToString());
                var counter = await client.ReadAsync();
                Assert.True(counter.Type == ':' && counter.Integer == i + 1, $"writer {index}, INCR {i}: expected :{i + 1}, got {counter}");
            }

            for (int i = 0; i < SetsPerWriter; i++)
            {
                var reply = await client.CommandAsync("GET", $"{prefix}{index}:{i}");
                Assert.True(reply.Type == '$' && values[i].AsSpan().SequenceEqual(reply.Bulk),
                    $"writer {index}, value {i} ({values[i].Length} bytes): got '{reply.Type}' with {reply.Bulk?.Length} bytes");
            }
        }

        async Task CountAsync(RawRespClient client, int index)
        {
            for (int done = 0; done < IncrsPerCounter; done += 20)
            {
                var batch = new RespBatch();
                for (int i = 0; i < 20; i++)
                {
                    batch.Add("INCR", $"{prefix}counter:{index}");
                }

                await client.SendRawAsync(batch.Bytes);
                for (int i = 1; i <= 20; i++)
                {
                    var counter = await client.ReadAsync();
                    Assert.True(counter.Type == ':' && counter.Integer == done + i, $"counter client {index}: expected :{done + i}, got {counter}");
                }
            }
        }
    }

    [Fact]
    public async Task Large_sets_written_while_the_backend_does_not_read_keep_their_order_and_bytes()
    {
        // Redis is stopped (SIGSTOP) while writers pipeline large SETs, so the backend's socket fills and the batch of
        // SETs sent from the clients' input waits for it. Large SETs arriving meanwhile join that batch (never copied),
        // together with the small INCRs other clients queue, while the clients' input blocks move on; once Redis runs
        // again every acknowledgement, counter and value must be the client's own, in its order. Its own proxy: the
        // stop must not run into the fixture's request timeout.
        const int Writers = 4;
        const int SetsPerWriter = 16;
        const int Counters = 4;
        const int IncrsPerCounter = 50;
        const int ValueSize = 512 * 1024;
        await using var redis = await RedisServerProcess.StartAsync();
        await using var proxy = await ProxyTestHost.StartStandaloneAsync(redis.EndPoint, "--Backend:RequestTimeoutMs=120000");
        await WithClientsAsync(Writers + Counters, () => RawRespClient.ConnectAsync(proxy.Host, proxy.Port, TimeSpan.FromSeconds(60)), async clients =>
        {
            await Wait.UntilAsync(async () => !(await clients[0].CommandAsync("EXISTS", "warmup")).IsError, TimeSpan.FromSeconds(15), "the proxy to reach its backend", redis.Diagnostics);
            var server = proxy.Services.GetRequiredService<BackendPool>().Servers.Single();
            long before = server.WritesBehindWaitingFlush;
            long waitsBefore = server.LentBatchWaits;
            var random = new Random(700);
            var values = new byte[Writers][][];
            var sends = new List<Task>();
            redis.Suspend();
            try
            {
                for (int writer = 0; writer < Writers; writer++)
                {
                    var batch = new RespBatch();
                    values[writer] = new byte[SetsPerWriter][];
                    for (int i = 0; i < SetsPerWriter; i++)
                    {
                        values[writer][i] = new byte[ValueSize];
                        random.NextBytes(values[writer][i]);
                        batch.Add(Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes($"waiting-flush:{writer}:{i}"), values[writer][i]);
                        batch.Add("INCR", $"waiting-flush:counter:{writer}");
                    }

                    sends.Add(clients[writer].SendRawAsync(batch.Bytes));
                }

                for (int counter = Writers; counter < Writers + Counters; counter++)
                {
                    var batch = new RespBatch();
                    for (int i = 0; i < IncrsPerCounter; i++)
                    {
                        batch.Add("INCR", $"waiting-flush:counter:{counter}");
                    }

                    sends.Add(clients[counter].SendRawAsync(batch.Bytes));
                }

                await Wait.UntilAsync(() => server.WritesBehindWaitingFlush > before, TimeSpan.FromSeconds(30), "a large SET written behind a waiting flush", redis.Diagnostics);
                Assert.True(server.LentBatchWaits > waitsBefore, "no batch of SETs sent from the clients' input waited for the socket");
            }
            finally
            {
                redis.Resume();
            }

            // Read while the rest is still being sent: a client that only reads at the end could hold its sends back.
            await Task.WhenAll(sends.Concat(Enumerable.Range(0, Writers + Counters).Select(async index =>
            {
                var client = clients[index];
                for (int i = 0; i < (index < Writers ? SetsPerWriter : IncrsPerCounter); i++)
                {
                    if (index < Writers)
                    {
                        Assert.Equal("+OK", (await client.ReadAsync()).ToString());
                    }

                    var counter = await client.ReadAsync();
                    Assert.True(counter.Type == ':' && counter.Integer == i + 1, $"client {index}, INCR {i}: expected :{i + 1}, got {counter}");
                }
            })));

            await AssertValuesReadBackAsync(clients, values, (writer, i) => $"waiting-flush:{writer}:{i}");
        });
    }

    [Fact]
    public async Task Large_sets_sent_from_the_clients_input_keep_their_bytes_while_that_input_moves_on()
    {
        // Large SETs to an idle backend are sent from the blocks their clients' input was received into, at the end of
        // the loop's batch, after those clients' pipes have moved past them and received more. Every acknowledgement,
        // counter and value must be the client's own; a block reused before it was sent would show as another
        // request's bytes. Its own proxy, so the count of writes sent that way is this test's.
        const int Writers = 12;
        const int Rounds = 20;
        const int Depth = 3;
        await using var redis = await RedisServerProcess.StartAsync();
        await using var proxy = await ProxyTestHost.StartStandaloneAsync(redis.EndPoint);
        await WithClientsAsync(Writers, () => RawRespClient.ConnectAsync(proxy.Host, proxy.Port, TimeSpan.FromSeconds(60)), async clients =>
        {
            await Wait.UntilAsync(async () => !(await clients[0].CommandAsync("EXISTS", "warmup")).IsError, TimeSpan.FromSeconds(15), "the proxy to reach its backend", redis.Diagnostics);
            var server = proxy.Services.GetRequiredService<BackendPool>().Servers.Single();
            var values = new byte[Writers][][];
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(async writer =>
            {
                var client = clients[writer];
                var random = new Random(writer);
                values[writer] = new byte[Rounds * Depth][];
                for (int round = 0; round < Rounds; round++)
                {
                    // Sizes off the 16 KB block size, so requests start and end inside blocks shared with their neighbours.
                    var batch = new RespBatch();
                    for (int i = round * Depth; i < (round + 1) * Depth; i++)
                    {
                        values[writer][i] = new byte[random.Next(20_000, 200_000)];
                        random.NextBytes(values[writer][i]);
                        batch.Add(Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes($"lent:{writer}:{i}"), values[writer][i]);
                        batch.Add("INCR", $"lent:counter:{writer}");
                    }

                    await client.SendRawAsync(batch.Bytes);
                    for (int i = round * Depth; i < (round + 1) * Depth; i++)
                    {
                        Assert.Equal("+OK", (await client.ReadAsync()).ToString());
                        var counter = await client.ReadAsync();
                        Assert.True(counter.Type == ':' && counter.Integer == i + 1, $"client {writer}, INCR {i}: expected :{i + 1}, got {counter}");
                    }
                }
            }));

            Assert.True(server.WritesLentFromClientInput > 0, "no large SET was sent from its client's input");
            await AssertValuesReadBackAsync(clients, values, (writer, i) => $"lent:{writer}:{i}");
        });
    }

    // Every writer's values read back byte for byte, each through the client that wrote it.
    private static async Task AssertValuesReadBackAsync(RawRespClient[] clients, byte[][][] values, Func<int, int, string> keyOf)
    {
        for (int writer = 0; writer < values.Length; writer++)
        {
            for (int i = 0; i < values[writer].Length; i++)
            {
                var reply = await clients[writer].CommandAsync("GET", keyOf(writer, i));
                Assert.True(reply.Type == '$' && values[writer][i].AsSpan().SequenceEqual(reply.Bulk),
                    $"writer {writer}, value {i}: got '{reply.Type}' with {reply.Bulk?.Length} bytes");
            }
        }
    }

    // Opens `count` clients of the fixture's proxy at once, runs `body` with them, and closes every one of them
    // whatever the body does.
    private Task WithClientsAsync(int count, TimeSpan? timeout, Func<RawRespClient[], Task> body) =>
        WithClientsAsync(count, () => fixture.ConnectAsync(timeout), body);

    private static async Task WithClientsAsync(int count, Func<Task<RawRespClient>> connect, Func<RawRespClient[], Task> body)
    {
        var clients = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => connect()));
        try
        {
            await body(clients);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }
}
