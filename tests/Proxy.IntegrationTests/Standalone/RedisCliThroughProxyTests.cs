using System.Globalization;
using RespProxy.TestSupport;
using Xunit;

namespace RespProxy.IntegrationTests.Standalone;

/// <summary>
/// The real redis-cli (non-TTY output: one line per value, nil as an empty line) against the proxy, for the common
/// data types, plus inline commands typed as telnet would send them.
/// </summary>
public sealed class RedisCliThroughProxyTests(StandaloneProxyFixture fixture) : IClassFixture<StandaloneProxyFixture>
{
    private async Task<string> CliAsync(params string[] args)
    {
        var result = await RedisCli.RunAsync(fixture.Proxy.Host, fixture.Proxy.Port, args);
        Assert.True(result.ExitCode == 0, $"redis-cli {string.Join(' ', args)}: {result}");
        Assert.EndsWith("\n", result.Stdout, StringComparison.Ordinal);
        return result.Stdout[..^1];
    }

    private static string[] Lines(string output) => output.Split('\n');

    [Fact]
    public async Task Strings()
    {
        var k = StandaloneProxyFixture.NewPrefix("cli-strings") + "s";
        Assert.Equal("", await CliAsync("GET", k));
        Assert.Equal("OK", await CliAsync("SET", k, "hello world"));
        Assert.Equal("hello world", await CliAsync("GET", k));
        Assert.Equal("14", await CliAsync("APPEND", k, "!!!"));
        Assert.Equal("14", await CliAsync("STRLEN", k));
        Assert.Equal("world", await CliAsync("GETRANGE", k, "6", "10"));
        Assert.Equal("0", await CliAsync("SETNX", k, "other"));
        Assert.Equal("hello world!!!", await CliAsync("GETSET", k, "new"));
        Assert.Equal("new", await CliAsync("GET", k));
    }

    [Fact]
    public async Task Hashes()
    {
        var k = StandaloneProxyFixture.NewPrefix("cli-hashes") + "h";
        Assert.Equal("2", await CliAsync("HSET", k, "f1", "v1", "f2", "v2"));
        Assert.Equal("v1", await CliAsync("HGET", k, "f1"));
        Assert.Equal("", await CliAsync("HGET", k, "missing"));
        Assert.Equal("7", await CliAsync("HINCRBY", k, "n", "7"));
        var all = Lines(await CliAsync("HGETALL", k));
        var pairs = Enumerable.Range(0, all.Length / 2).ToDictionary(i => all[2 * i], i => all[(2 * i) + 1]);
        Assert.Equal(new Dictionary<string, string> { ["f1"] = "v1", ["f2"] = "v2", ["n"] = "7" }, pairs);
        Assert.Equal("1", await CliAsync("HDEL", k, "f1", "nope"));
        Assert.Equal("2", await CliAsync("HLEN", k));
        Assert.Equal("1", await CliAsync("HEXISTS", k, "f2"));
    }

    [Fact]
    public async Task Lists()
    {
        var k = StandaloneProxyFixture.NewPrefix("cli-lists") + "l";
        Assert.Equal("3", await CliAsync("RPUSH", k, "b", "c", "d"));
        Assert.Equal("4", await CliAsync("LPUSH", k, "a"));
        Assert.Equal(["a", "b", "c", "d"], Lines(await CliAsync("LRANGE", k, "0", "-1")));
        Assert.Equal("a", await CliAsync("LPOP", k));
        Assert.Equal("d", await CliAsync("RPOP", k));
        Assert.Equal("2", await CliAsync("LLEN", k));
        Assert.Equal("c", await CliAsync("LINDEX", k, "1"));
    }

    [Fact]
    public async Task Sets()
    {
        var prefix = StandaloneProxyFixture.NewPrefix("cli-sets");
        string a = prefix + "a", b = prefix + "b";
        Assert.Equal("3", await CliAsync("SADD", a, "x", "y", "z"));
        Assert.Equal("0", await CliAsync("SADD", a, "x"));
        Assert.Equal("2", await CliAsync("SADD", b, "y", "w"));
        Assert.Equal(["x", "y", "z"], Lines(await CliAsync("SMEMBERS", a)).Order(StringComparer.Ordinal));
        Assert.Equal("1", await CliAsync("SISMEMBER", a, "y"));
        Assert.Equal("0", await CliAsync("SISMEMBER", a, "w"));
        Assert.Equal(["y"], Lines(await CliAsync("SINTER", a, b)));
        Assert.Equal("1", await CliAsync("SREM", a, "z"));
        Assert.Equal("2", await CliAsync("SCARD", a));
    }

    [Fact]
    public async Task SortedSets()
    {
        var k = StandaloneProxyFixture.NewPrefix("cli-zsets") + "z";
        Assert.Equal("3", await CliAsync("ZADD", k, "1", "one", "2", "two", "3", "three"));
        Assert.Equal(["one", "1", "two", "2", "three", "3"], Lines(await CliAsync("ZRANGE", k, "0", "-1", "WITHSCORES")));
        Assert.Equal("2.5", await CliAsync("ZINCRBY", k, "1.5", "one"));
        Assert.Equal(["two", "one", "three"], Lines(await CliAsync("ZRANGE", k, "0", "-1")));
        Assert.Equal("3", await CliAsync("ZSCORE", k, "three"));
        Assert.Equal("1", await CliAsync("ZRANK", k, "one"));
        Assert.Equal(["three", "one"], Lines(await CliAsync("ZREVRANGEBYSCORE", k, "+inf", "2.5")));
        Assert.Equal("3", await CliAsync("ZCARD", k));
    }

    [Fact]
    public async Task Expiry()
    {
        var prefix = StandaloneProxyFixture.NewPrefix("cli-expiry");
        string ex = prefix + "ex", px = prefix + "px", shortLived = prefix + "short";
        Assert.Equal("OK", await CliAsync("SET", ex, "v", "EX", "100"));
        var ttl = long.Parse(await CliAsync("TTL", ex), CultureInfo.InvariantCulture);
        Assert.InRange(ttl, 90, 100);

        Assert.Equal("OK", await CliAsync("SET", px, "v"));
        Assert.Equal("-1", await CliAsync("TTL", px));
        Assert.Equal("1", await CliAsync("PEXPIRE", px, "50000"));
        var pttl = long.Parse(await CliAsync("PTTL", px), CultureInfo.InvariantCulture);
        Assert.InRange(pttl, 40_000, 50_000);
        Assert.Equal("1", await CliAsync("PERSIST", px));
        Assert.Equal("-1", await CliAsync("PTTL", px));
        Assert.Equal("-2", await CliAsync("TTL", prefix + "missing"));

        // A key with a short life really goes away (seen through the proxy).
        Assert.Equal("OK", await CliAsync("SET", shortLived, "v", "PX", "100"));
        await Wait.UntilAsync(
            async () => await CliAsync("EXISTS", shortLived) == "0",
            TimeSpan.FromSeconds(10),
            "a key SET with PX 100 to expire");
        Assert.Equal("", await CliAsync("GET", shortLived));
    }

    [Fact]
    public async Task Counters()
    {
        var prefix = StandaloneProxyFixture.NewPrefix("cli-counters");
        var k = prefix + "n";
        Assert.Equal("1", await CliAsync("INCR", k));
        Assert.Equal("11", await CliAsync("INCRBY", k, "10"));
        Assert.Equal("10", await CliAsync("DECR", k));
        Assert.Equal("-5", await CliAsync("DECRBY", k, "15"));
        Assert.Equal("-5", await CliAsync("GET", k));

        await CliAsync("SET", prefix + "text", "abc");
        var result = await RedisCli.RunAsync(fixture.Proxy.Host, fixture.Proxy.Port, "INCR", prefix + "text");
        Assert.Contains("ERR value is not an integer or out of range", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MultiKeyCommands()
    {
        var p = StandaloneProxyFixture.NewPrefix("cli-multikey");
        Assert.Equal("OK", await CliAsync("MSET", p + "a", "1", p + "b", "2", p + "c", "3"));
        Assert.Equal(["1", "", "3", "2"], Lines(await CliAsync("MGET", p + "a", p + "missing", p + "c", p + "b")));

        // EXISTS counts a key once per mention.
        Assert.Equal("3", await CliAsync("EXISTS", p + "a", p + "missing", p + "b", p + "a"));
        Assert.Equal("2", await CliAsync("DEL", p + "a", p + "b", p + "missing"));
        Assert.Equal("0", await CliAsync("EXISTS", p + "a", p + "b"));
        Assert.Equal("1", await CliAsync("EXISTS", p + "c"));
    }

    [Fact]
    public async Task Commands_read_from_stdin_are_answered_in_order()
    {
        var p = StandaloneProxyFixture.NewPrefix("cli-stdin");
        var script = string.Join('\n',
            $"SET {p}k first",
            $"APPEND {p}k -second",
            $"GET {p}k",
            $"RPUSH {p}l 1 2 3",
            $"LRANGE {p}l 0 -1",
            "PING",
            $"DEL {p}k {p}l",
            $"GET {p}k") + "\n";
        var result = await RedisCli.RunWithStdinAsync(fixture.Proxy.Host, fixture.Proxy.Port, script);
        Assert.True(result.ExitCode == 0, result.ToString());
        // One line per value; the last GET's nil is an empty line, so only the final line break is dropped.
        Assert.EndsWith("\n", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(["OK", "12", "first-second", "3", "1", "2", "3", "PONG", "2", ""], Lines(result.Stdout[..^1]));
    }

    [Fact]
    public async Task Inline_commands_sent_raw()
    {
        var p = StandaloneProxyFixture.NewPrefix("cli-inline");
        await using var client = await fixture.ConnectAsync();

        await client.SendRawAsync("PING\r\n");
        Assert.Equal("+PONG", (await client.ReadAsync()).ToString());

        // Double quotes keep spaces; the proxy splits as redis does and the value arrives unchanged.
        await client.SendRawAsync($"SET \"{p}a b\" \"c d\"\r\n");
        Assert.Equal("+OK", (await client.ReadAsync()).ToString());
        Assert.Equal("c d", (await client.CommandAsync("GET", p + "a b")).Text);

        // Single quotes, C escapes in double quotes, extra spaces and a bare "\n" line ending.
        await client.SendRawAsync($"SET   '{p}it\\'s'   \"x\\x41\\ty\\n\"\n");
        Assert.Equal("+OK", (await client.ReadAsync()).ToString());
        Assert.Equal("xA\ty\n", (await client.CommandAsync("GET", p + "it's")).Text);

        // Several inline commands in one packet are answered in order, and mix with RESP requests.
        await client.SendRawAsync($"INCR {p}n\r\nINCR {p}n\r\nGET {p}n\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n");
        Assert.Equal(":1", (await client.ReadAsync()).ToString());
        Assert.Equal(":2", (await client.ReadAsync()).ToString());
        Assert.Equal("2", (await client.ReadAsync()).Text);
        Assert.Equal("hi", (await client.ReadAsync()).Text);

        // Empty lines carry no command: redis skips them, and so does the proxy.
        await client.SendRawAsync("\r\n\r\nPING\r\n");
        Assert.Equal("+PONG", (await client.ReadAsync()).ToString());
    }
}
