using RespProxy.TestSupport;
using StackExchange.Redis;
using Xunit;

namespace RespProxy.IntegrationTests.Standalone;

/// <summary>
/// StackExchange.Redis with its default options (nothing proxy-specific) through the proxy: data types, expiry,
/// multi-key commands, a 10 MB value, binary-safe keys and values, and what it learns about the server.
/// </summary>
public sealed class StackExchangeRedisDataTypesTests(StackExchangeRedisDataTypesTests.Fixture fixture)
    : IClassFixture<StackExchangeRedisDataTypesTests.Fixture>
{
    /// <summary>redis + proxy, and one multiplexer connected to the proxy with default options.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public StandaloneProxyFixture Servers { get; } = new();

        public ConnectionMultiplexer Client { get; private set; } = null!;

        public StringWriter ConnectLog { get; } = new();

        public async Task InitializeAsync()
        {
            await Servers.InitializeAsync();
            Client = await ConnectionMultiplexer.ConnectAsync($"{Servers.Proxy.Host}:{Servers.Proxy.Port}", ConnectLog);
        }

        public async Task DisposeAsync()
        {
            if (Client is not null)
            {
                await Client.DisposeAsync();
            }

            await Servers.DisposeAsync();
        }
    }

    private IDatabase Db => fixture.Client.GetDatabase();

    private static string Prefix(string test) => StandaloneProxyFixture.NewPrefix("ser-" + test);

    [Fact]
    public async Task Connects_with_default_options_and_pings()
    {
        Assert.True(fixture.Client.IsConnected, fixture.ConnectLog.ToString());
        var latency = await Db.PingAsync();
        Assert.True(latency < TimeSpan.FromSeconds(5), $"PING took {latency}");
        var server = fixture.Client.GetServer(fixture.Servers.Proxy.Host, fixture.Servers.Proxy.Port);
        Assert.True(server.IsConnected);
        Assert.Equal(ServerType.Standalone, server.ServerType);
    }

    [Fact]
    public async Task Strings_and_counters()
    {
        var p = Prefix("strings");
        Assert.True(await Db.StringSetAsync(p + "s", "value"));
        Assert.Equal("value", (string?)await Db.StringGetAsync(p + "s"));
        Assert.True((await Db.StringGetAsync(p + "missing")).IsNull);
        Assert.False(await Db.StringSetAsync(p + "s", "other", when: When.NotExists));
        Assert.Equal(10, await Db.StringAppendAsync(p + "s", "!!!!!"));

        Assert.Equal(1, await Db.StringIncrementAsync(p + "n"));
        Assert.Equal(11, await Db.StringIncrementAsync(p + "n", 10));
        Assert.Equal(8, await Db.StringDecrementAsync(p + "n", 3));
        Assert.Equal(9.5, await Db.StringIncrementAsync(p + "f", 9.5));
        var error = await Assert.ThrowsAsync<RedisServerException>(() => Db.StringIncrementAsync(p + "s"));
        Assert.Contains("not an integer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hashes()
    {
        var k = Prefix("hashes") + "h";
        await Db.HashSetAsync(k, [new HashEntry("a", "1"), new HashEntry("b", "2")]);
        Assert.Equal("1", (string?)await Db.HashGetAsync(k, "a"));
        Assert.Equal(12, await Db.HashIncrementAsync(k, "b", 10));
        var all = (await Db.HashGetAllAsync(k)).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "12" }, all);
        Assert.True(await Db.HashDeleteAsync(k, "a"));
        Assert.False(await Db.HashExistsAsync(k, "a"));
        Assert.Equal(1, await Db.HashLengthAsync(k));
    }

    [Fact]
    public async Task Lists()
    {
        var k = Prefix("lists") + "l";
        Assert.Equal(3, await Db.ListRightPushAsync(k, ["b", "c", "d"]));
        Assert.Equal(4, await Db.ListLeftPushAsync(k, "a"));
        Assert.Equal(["a", "b", "c", "d"], (await Db.ListRangeAsync(k)).Select(v => (string)v!));
        Assert.Equal("a", (string?)await Db.ListLeftPopAsync(k));
        Assert.Equal("d", (string?)await Db.ListRightPopAsync(k));
        Assert.Equal(2, await Db.ListLengthAsync(k));
    }

    [Fact]
    public async Task Sets()
    {
        var k = Prefix("sets") + "s";
        Assert.Equal(3, await Db.SetAddAsync(k, ["x", "y", "z"]));
        Assert.False(await Db.SetAddAsync(k, "x"));
        Assert.True(await Db.SetContainsAsync(k, "y"));
        Assert.Equal(["x", "y", "z"], (await Db.SetMembersAsync(k)).Select(v => (string)v!).Order(StringComparer.Ordinal));
        Assert.True(await Db.SetRemoveAsync(k, "x"));
        Assert.Equal(2, await Db.SetLengthAsync(k));
    }

    [Fact]
    public async Task SortedSets()
    {
        var k = Prefix("zsets") + "z";
        Assert.Equal(3, await Db.SortedSetAddAsync(k, [new SortedSetEntry("one", 1), new SortedSetEntry("two", 2), new SortedSetEntry("three", 3)]));
        Assert.Equal(4.5, await Db.SortedSetIncrementAsync(k, "one", 3.5));
        var ranked = await Db.SortedSetRangeByRankWithScoresAsync(k);
        Assert.Equal([("two", 2.0), ("three", 3.0), ("one", 4.5)], ranked.Select(e => ((string)e.Element!, e.Score)));
        Assert.Equal(2, await Db.SortedSetRankAsync(k, "one"));
        Assert.Equal(3.0, await Db.SortedSetScoreAsync(k, "three"));
        Assert.Equal(["three", "one"], (await Db.SortedSetRangeByScoreAsync(k, 3, double.PositiveInfinity)).Select(v => (string)v!));
    }

    [Fact]
    public async Task Expiry()
    {
        var p = Prefix("expiry");
        Assert.True(await Db.StringSetAsync(p + "a", "v", TimeSpan.FromSeconds(100)));
        var ttl = await Db.KeyTimeToLiveAsync(p + "a");
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(100));

        Assert.True(await Db.StringSetAsync(p + "b", "v"));
        Assert.Null(await Db.KeyTimeToLiveAsync(p + "b"));
        Assert.True(await Db.KeyExpireAsync(p + "b", TimeSpan.FromMilliseconds(40_000)));
        Assert.InRange((await Db.KeyTimeToLiveAsync(p + "b"))!.Value, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(40));
        Assert.True(await Db.KeyPersistAsync(p + "b"));
        Assert.Null(await Db.KeyTimeToLiveAsync(p + "b"));

        Assert.True(await Db.StringSetAsync(p + "short", "v", TimeSpan.FromMilliseconds(100)));
        await Wait.UntilAsync(async () => !await Db.KeyExistsAsync(p + "short"), TimeSpan.FromSeconds(10), "a key with a 100 ms expiry to expire");
    }

    [Fact]
    public async Task Multi_key_get_set_delete_exists()
    {
        var p = Prefix("multikey");
        RedisKey[] keys = [p + "a", p + "b", p + "c"];
        Assert.True(await Db.StringSetAsync([new(keys[0], "1"), new(keys[1], "2"), new(keys[2], "3")]));
        var values = await Db.StringGetAsync([keys[2], p + "missing", keys[0], keys[1]]);
        Assert.Equal(["3", null, "1", "2"], values.Select(v => (string?)v));

        Assert.False(await Db.StringSetAsync([new(keys[0], "x"), new(p + "new", "y")], When.NotExists));
        Assert.Equal(3, await Db.KeyExistsAsync([.. keys, p + "missing"]));
        Assert.True(await Db.KeyExistsAsync(keys[1]));
        Assert.Equal(2, await Db.KeyDeleteAsync([keys[0], keys[1], p + "missing"]));
        Assert.False(await Db.KeyExistsAsync(keys[0]));
        Assert.Equal(1, await Db.KeyExistsAsync(keys));
    }

    [Fact]
    public async Task Ten_megabyte_value_round_trips_exactly()
    {
        var k = Prefix("big") + "v";
        var value = new byte[10 * 1024 * 1024];
        new Random(10).NextBytes(value);
        Assert.True(await Db.StringSetAsync(k, value));
        Assert.Equal(value.Length, await Db.StringLengthAsync(k));
        byte[]? read = await Db.StringGetAsync(k);
        Assert.NotNull(read);
        Assert.True(value.AsSpan().SequenceEqual(read), "the 10 MB value read back differs from the one written");
    }

    [Fact]
    public async Task Binary_keys_and_values_are_safe()
    {
        var prefix = System.Text.Encoding.ASCII.GetBytes(Prefix("binary"));
        var every = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        byte[][] keys =
        [
            [.. prefix, .. every],
            [.. prefix, 0, (byte)'\r', (byte)'\n'],
            [.. prefix, (byte)'*', (byte)'1', (byte)'\r', (byte)'\n', (byte)'$'],
            [.. prefix, 0xFF, 0xFE, 0x00],
        ];
        byte[][] values =
        [
            [.. every, .. every.Reverse()],
            [0],
            "\r\n-ERR not an error\r\n"u8.ToArray(),
            [],
        ];
        for (int i = 0; i < keys.Length; i++)
        {
            Assert.True(await Db.StringSetAsync(keys[i], values[i]));
        }

        for (int i = 0; i < keys.Length; i++)
        {
            byte[]? read = await Db.StringGetAsync(keys[i]);
            Assert.Equal(values[i], read);
        }

        var many = await Db.StringGetAsync([.. keys.Select(k => (RedisKey)k)]);
        Assert.Equal(values, many.Select(v => (byte[]?)v));
        Assert.Equal(keys.Length, await Db.KeyDeleteAsync([.. keys.Select(k => (RedisKey)k)]));
    }

    [Fact]
    public async Task Server_features_version_and_info()
    {
        var server = fixture.Client.GetServer(fixture.Servers.Proxy.Host, fixture.Servers.Proxy.Port);

        // The backend's own version, as redis-server reports it directly.
        var direct = RedisInfo.Parse((await fixture.Servers.Redis.CliAsync("INFO", "server")).Stdout);
        Assert.Equal(Version.Parse(direct["redis_version"]), server.Version);
        var features = server.Features;
        Assert.True(features.Streams, "redis 7 supports streams");
        Assert.True(features.SetConditional);

        // StackExchange.Redis refuses INFO itself (IServer.InfoAsync, or db.Execute("INFO")) unless allowAdmin is set:
        // a client-side safety switch, not a proxy option, so only this call uses a second connection with it. The
        // default connection above already read INFO through the proxy during its handshake (Version comes from it).
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{fixture.Servers.Proxy.Host}:{fixture.Servers.Proxy.Port},allowAdmin=true");
        var info = await admin.GetServer(fixture.Servers.Proxy.Host, fixture.Servers.Proxy.Port).InfoAsync();
        var sections = info.ToDictionary(g => g.Key, g => g.ToDictionary(p => p.Key, p => p.Value), StringComparer.OrdinalIgnoreCase);
        Assert.True(sections.ContainsKey("Proxy"), "INFO sections: " + string.Join(", ", sections.Keys));
        Assert.Equal("respproxy", sections["Proxy"]["proxy_name"]);
        Assert.True(sections.ContainsKey("Server"), "INFO sections: " + string.Join(", ", sections.Keys));
        Assert.Equal(direct["redis_version"], sections["Server"]["redis_version"]);
        Assert.Equal(direct["run_id"], sections["Server"]["run_id"]);
        Assert.True(sections.ContainsKey("Keyspace") || sections.ContainsKey("Memory"), "INFO sections: " + string.Join(", ", sections.Keys));
    }
}
