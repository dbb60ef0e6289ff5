using System.Diagnostics;
using System.Globalization;
using RespProxy.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>
/// Two sentinel groups behind one proxy, each owning half of the hash slots: keys land on their group's master,
/// multi-key commands are split and merged correctly, and one group's failover leaves the other undisturbed.
/// </summary>
[Collection(SentinelCollection.Name)]
public sealed class PreshardedGroupsTests(ITestOutputHelper output)
{
    private const string G1Slots = "0-8191";
    private const string G2Slots = "8192-16383";

    [Fact]
    public async Task Keys_and_multi_key_commands_go_to_their_group_and_a_failover_in_one_group_does_not_disturb_the_other()
    {
        await using var groups = await TwoGroups.StartAsync();
        var (g1, g2) = (groups.G1, groups.G2);
        await using var proxy = await SentinelProxy.StartAsync([(g1, G1Slots), (g2, G2Slots)], MasterFailoverTests.HoldLongerThanAFailover);
        var info = await proxy.InfoAsync();
        Assert.Equal("6", info.Fields["sentinels_known"]);
        Assert.Equal("g1", info.Group(0)["name"]);
        Assert.Equal("g2", info.Group(1)["name"]);

        var prefix = $"groups:{Guid.NewGuid():N}:";
        var g1Keys = KeySlot.FindKeys(prefix + "a", G1Slots, 3);
        var g2Keys = KeySlot.FindKeys(prefix + "b", G2Slots, 3);

        // Hash tags: only the part in braces is hashed, so these keys go where their tag says whatever follows it.
        var g2Tag = KeySlot.FindKey("tag", G2Slots);
        string[] taggedG2Keys = [$"{{{g2Tag}}}:x", $"{{{g2Tag}}}:y"];
        Assert.All(taggedG2Keys, key => Assert.Equal(KeySlot.Of(g2Tag), KeySlot.Of(key)));
        string g1Missing = KeySlot.FindKey(prefix + "missing-a", G1Slots), g2Missing = KeySlot.FindKey(prefix + "missing-b", G2Slots);

        await using var client = await proxy.ConnectAsync();
        foreach (var key in g1Keys.Concat(g2Keys))
        {
            Assert.Equal("+OK", (await client.CommandAsync("SET", key, "single:" + key)).ToString());
        }

        await AssertKeysLiveOnlyOnAsync(g1.InitialMaster, g2.InitialMaster, g1Keys);
        await AssertKeysLiveOnlyOnAsync(g2.InitialMaster, g1.InitialMaster, g2Keys);

        // MSET across both groups, keys interleaved.
        string[] msetKeys = [g1Keys[0], g2Keys[0], taggedG2Keys[0], g1Keys[1], g2Keys[1], taggedG2Keys[1]];
        Assert.Equal("+OK", (await client.CommandAsync(["MSET", .. msetKeys.SelectMany(k => new[] { k, "m:" + k })])).ToString());
        foreach (var key in msetKeys)
        {
            var owner = KeySlot.Of(key) < 8192 ? g1.InitialMaster : g2.InitialMaster;
            await using var direct = await owner.ConnectAsync();
            Assert.Equal("m:" + key, (await direct.CommandAsync("GET", key)).Text);
        }

        await AssertKeysLiveOnlyOnAsync(g2.InitialMaster, g1.InitialMaster, taggedG2Keys);

        // MGET keeps the order of the request, missing keys included.
        string[] mgetKeys = [g2Keys[1], g1Missing, g1Keys[0], taggedG2Keys[1], g2Missing, g1Keys[2], g2Keys[2]];
        var mget = await client.CommandAsync(["MGET", .. mgetKeys]);
        Assert.Equal(
            new string?[] { "m:" + g2Keys[1], null, "m:" + g1Keys[0], "m:" + taggedG2Keys[1], null, "single:" + g1Keys[2], "single:" + g2Keys[2] },
            mget.Items!.Select(item => item.IsNull ? null : item.Text).ToArray());

        // EXISTS counts a key as often as it is named; DEL sums the groups' counts.
        Assert.Equal(":4", (await client.CommandAsync("EXISTS", g1Keys[0], g2Keys[0], g1Keys[0], g1Missing, taggedG2Keys[0], g2Missing)).ToString());
        Assert.Equal(":4", (await client.CommandAsync("DEL", g1Keys[0], g2Keys[0], g1Missing, taggedG2Keys[0], g2Missing, g2Keys[1])).ToString());
        Assert.Equal(":0", (await client.CommandAsync("EXISTS", g1Keys[0], g2Keys[0], taggedG2Keys[0], g2Keys[1])).ToString());
        foreach (var server in new[] { g1.InitialMaster, g2.InitialMaster })
        {
            await using var direct = await server.ConnectAsync();
            Assert.Equal(":0", (await direct.CommandAsync("EXISTS", g1Keys[0], g2Keys[0], taggedG2Keys[0], g2Keys[1])).ToString());
        }

        Assert.Equal(":2", (await client.CommandAsync("EXISTS", g1Keys[1], taggedG2Keys[1])).ToString());
        await AssertPipelinedSplitsAsync(client, prefix + "pipelined:");

        // Failover in g1 under traffic to both groups.
        await using var g1Writer = await TrafficLoop.StartIncrAsync("g1 writer (INCR)", proxy, KeySlot.FindKey(prefix + "g1-counter", G1Slots));
        await using var g2Writer = await TrafficLoop.StartIncrAsync("g2 writer (INCR)", proxy, KeySlot.FindKey(prefix + "g2-counter", G2Slots));
        string Describe() => $"{g1Writer.Describe()}{Environment.NewLine}{g2Writer.Describe()}{Environment.NewLine}{proxy.Describe()}";
        await Wait.UntilAsync(() => (g1Writer.OkCount >= 30 && g2Writer.OkCount >= 30) || g1Writer.Broken || g2Writer.Broken, TimeSpan.FromSeconds(15), "traffic before the g1 failover", Describe);

        var g1OldMaster = g1.InitialMaster;
        long killedAt = await Failover.KillMasterBetweenWritesAsync(g1, g1OldMaster, proxy, g1Writer);
        string? g1NewMaster = null;
        await Wait.UntilAsync(
            async () =>
            {
                g1NewMaster = await g1.MasterFromSentinelsAsync();
                return (g1NewMaster is not null && g1NewMaster != g1OldMaster.EndPoint && proxy.PublishedMaster("g1") == g1NewMaster
                    && g1Writer.OkSentAfter(proxy.PublishedAt("g1", g1NewMaster)!.Value) >= 30) || g1Writer.Broken || g2Writer.Broken;
            },
            TimeSpan.FromSeconds(40),
            "g1 to fail over and the proxy to follow, then 30 g1 writes",
            Describe);
        await g1Writer.StopAsync();
        await g2Writer.StopAsync();

        long publishedAt = proxy.PublishedAt("g1", g1NewMaster!)!.Value;
        double outageMs = Stopwatch.GetElapsedTime(killedAt, publishedAt).TotalMilliseconds;
        var g2DuringOutage = g2Writer.Outcomes.Where(o => o.SentAt >= killedAt && o.SentAt < publishedAt).ToArray();
        var g2Gaps = g2DuringOutage.Zip(g2DuringOutage.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a.RepliedAt, b.RepliedAt).TotalMilliseconds).DefaultIfEmpty(0).Max();
        output.WriteLine($"g1 kill -> new g1 master {g1NewMaster} published: {outageMs:0} ms");
        output.WriteLine("g2 during the g1 outage: " + g2Writer.LatencySummary(killedAt, publishedAt) + $", largest gap between acknowledgements {g2Gaps:0} ms");
        output.WriteLine("g2 before the kill: " + g2Writer.LatencySummary(to: killedAt));
        output.WriteLine(g1Writer.LatencySummary());

        Assert.False(g1Writer.Broken || g2Writer.Broken, Describe());
        Assert.Empty(g1Writer.Failures.Select(f => f.Problem));
        Assert.Empty(g2Writer.Failures.Select(f => f.Problem));

        // g2 kept its normal pace (a request every 10 ms plus latency) all through g1's outage: no request stalled.
        Assert.True(g2DuringOutage.Length >= outageMs / 10 / 4, $"only {g2DuringOutage.Length} g2 writes during g1's {outageMs:0} ms outage");
        Assert.All(g2DuringOutage, o => Assert.True(o.Latency < TimeSpan.FromSeconds(1), $"a g2 write took {o.Latency.TotalMilliseconds:0} ms during g1's failover"));
        Assert.True(g2Gaps < 1000, $"g2 acknowledgements stopped for {g2Gaps:0} ms during g1's failover");

        // g1 followed its sentinels; g2's master never changed in any published snapshot.
        Assert.Equal(g1NewMaster, proxy.PublishedMaster("g1"));
        Assert.All(proxy.Published, p => Assert.Equal(g2.InitialMaster.EndPoint, p.Snapshot.Groups.Single(g => g.Name == "g2").Master?.Endpoint.ToString()));
        Assert.Equal(g1Writer.OkCount, g1Writer.LastCounter);
        Assert.Equal(g2Writer.OkCount, g2Writer.LastCounter);

        // The surviving keys of both groups are intact after g1's failover, read through the proxy.
        var after = await client.CommandAsync("MGET", g1Keys[1], taggedG2Keys[1], g1Keys[2], g2Keys[2]);
        Assert.Equal(
            new[] { "m:" + g1Keys[1], "m:" + taggedG2Keys[1], "single:" + g1Keys[2], "single:" + g2Keys[2] },
            after.Items!.Select(item => item.Text).ToArray());
    }

    // Split commands of every size, pipelined: a session reuses the merge state of earlier splits, so key counts and
    // group mixes change from one to the next. Each reply is checked against a model of the keys.
    private static async Task AssertPipelinedSplitsAsync(RawRespClient client, string prefix)
    {
        var keys = Enumerable.Range(0, 24).Select(i => prefix + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        Assert.Contains(keys, key => KeySlot.Of(key) < 8192);
        Assert.Contains(keys, key => KeySlot.Of(key) >= 8192);
        var model = new Dictionary<string, string>();
        var random = new Random(11);
        var batch = new Standalone.RespBatch();
        var expected = new List<string>();
        for (int i = 0; i < 400; i++)
        {
            var chosen = Enumerable.Range(0, random.Next(1, 13)).Select(_ => keys[random.Next(keys.Length)]).ToArray();
            switch (i % 3)
            {
                case 0:
                    var pairs = chosen.Distinct().Select(key => (key, Value: $"v{i}:{key}")).ToArray();
                    batch.Add(["MSET", .. pairs.SelectMany(pair => new[] { pair.key, pair.Value })]);
                    foreach (var (key, value) in pairs)
                    {
                        model[key] = value;
                    }

                    expected.Add("+OK");
                    break;
                case 1:
                    batch.Add(["MGET", .. chosen]);
                    expected.Add(string.Join("|", chosen.Select(key => model.TryGetValue(key, out var value) ? value : "(nil)")));
                    break;
                default:
                    batch.Add(["EXISTS", .. chosen]);
                    expected.Add(":" + chosen.Count(model.ContainsKey).ToString(CultureInfo.InvariantCulture));
                    break;
            }
        }

        await client.SendRawAsync(batch.Bytes);
        for (int i = 0; i < expected.Count; i++)
        {
            var reply = await client.ReadAsync();
            string actual = reply.Items is { } items ? string.Join("|", items.Select(item => item.IsNull ? "(nil)" : item.Text)) : reply.ToString();
            Assert.True(expected[i] == actual, $"reply {i}: expected {expected[i]}, got {actual}");
        }
    }

    private static async Task AssertKeysLiveOnlyOnAsync(RedisServerProcess owner, RedisServerProcess other, IEnumerable<string> keys)
    {
        await using var ownerClient = await owner.ConnectAsync();
        await using var otherClient = await other.ConnectAsync();
        foreach (var key in keys)
        {
            Assert.True((await ownerClient.CommandAsync("EXISTS", key)).Integer == 1, $"{key} (slot {KeySlot.Of(key)}) is missing on its group's master {owner.EndPoint}");
            Assert.True((await otherClient.CommandAsync("EXISTS", key)).Integer == 0, $"{key} (slot {KeySlot.Of(key)}) is on the other group's master {other.EndPoint}");
        }
    }

    /// <summary>Two independent sentinel groups, g1 and g2, each with its own servers and three sentinels.</summary>
    private sealed class TwoGroups : IAsyncDisposable
    {
        private TwoGroups(SentinelTopology g1, SentinelTopology g2)
        {
            G1 = g1;
            G2 = g2;
        }

        public SentinelTopology G1 { get; }

        public SentinelTopology G2 { get; }

        public static async Task<TwoGroups> StartAsync()
        {
            var starting = new[] { SentinelTopology.StartAsync("g1"), SentinelTopology.StartAsync("g2") };
            try
            {
                await Task.WhenAll(starting);
            }
            catch
            {
                foreach (var task in starting.Where(t => t.IsCompletedSuccessfully))
                {
                    await task.Result.DisposeAsync();
                }

                throw;
            }

            return new TwoGroups(starting[0].Result, starting[1].Result);
        }

        public async ValueTask DisposeAsync()
        {
            await G1.DisposeAsync();
            await G2.DisposeAsync();
        }
    }
}
