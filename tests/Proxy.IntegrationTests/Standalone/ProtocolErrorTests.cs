using RespProxy.TestSupport;
using Xunit;

namespace RespProxy.IntegrationTests.Standalone;

/// <summary>
/// Malformed requests get Redis's protocol error reply and then the proxy closes that connection, as Redis does;
/// another client connected at the same time keeps working.
/// </summary>
public sealed class ProtocolErrorTests(StandaloneProxyFixture fixture) : IClassFixture<StandaloneProxyFixture>
{
    private static readonly TimeSpan CloseDeadline = TimeSpan.FromSeconds(5);

    public static TheoryData<string, string> Cases => new()
    {
        { "multibulk count not a number", "-ERR Protocol error: invalid multibulk length" },
        { "multibulk count over INT_MAX", "-ERR Protocol error: invalid multibulk length" },
        { "multibulk count with a plus sign", "-ERR Protocol error: invalid multibulk length" },
        { "bulk length not a number", "-ERR Protocol error: invalid bulk length" },
        { "negative bulk length", "-ERR Protocol error: invalid bulk length" },
        { "bulk length over 512 MB", "-ERR Protocol error: invalid bulk length" },
        { "argument not a bulk string", "-ERR Protocol error: expected '$', got 'x'" },
        { "integer as an argument", "-ERR Protocol error: expected '$', got ':'" },
        { "inline line over 64 KB", "-ERR Protocol error: too big inline request" },
        { "unclosed double quote", "-ERR Protocol error: unbalanced quotes in request" },
        { "unclosed single quote", "-ERR Protocol error: unbalanced quotes in request" },
        { "closing quote followed by a letter", "-ERR Protocol error: unbalanced quotes in request" },
    };

    private static string Payload(string name) => name switch
    {
        "multibulk count not a number" => "*abc\r\n",
        "multibulk count over INT_MAX" => "*2147483648\r\n",
        "multibulk count with a plus sign" => "*+1\r\n$4\r\nPING\r\n",
        "bulk length not a number" => "*1\r\n$abc\r\n",
        "negative bulk length" => "*1\r\n$-5\r\n",
        "bulk length over 512 MB" => "*2\r\n$3\r\nSET\r\n$536870913\r\n",
        "argument not a bulk string" => "*1\r\nx4\r\nPING\r\n",
        "integer as an argument" => "*2\r\n$3\r\nGET\r\n:1\r\n",
        "inline line over 64 KB" => new string('A', (64 * 1024) + 100),
        "unclosed double quote" => "SET \"abc def\r\n",
        "unclosed single quote" => "SET 'abc\r\n",
        "closing quote followed by a letter" => "SET \"a\"b c\r\n",
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such case"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Malformed_request_gets_redis_error_then_the_connection_closes(string name, string expectedReply)
    {
        var key = StandaloneProxyFixture.NewPrefix("protocol-bystander") + "k";
        await using var bystander = await fixture.ConnectAsync();
        Assert.Equal("+PONG", (await bystander.CommandAsync("PING")).ToString());

        // A request of the bystander is in flight while the other client misbehaves.
        await bystander.SendCommandAsync("SET", key, "before");

        await using var offender = await fixture.ConnectAsync();
        Assert.Equal("+PONG", (await offender.CommandAsync("PING")).ToString());
        await offender.SendRawAsync(Payload(name));
        var reply = await offender.ReadAsync();
        Assert.Equal(expectedReply, "-" + reply.Text);
        Assert.True(reply.IsError, reply.ToString());
        Assert.True(await offender.IsClosedByServerAsync(CloseDeadline), $"{name}: the proxy kept the connection open after the protocol error");

        Assert.Equal("+OK", (await bystander.ReadAsync()).ToString());
        Assert.Equal("+PONG", (await bystander.CommandAsync("PING")).ToString());
        Assert.Equal("+OK", (await bystander.CommandAsync("SET", key, "after")).ToString());
        Assert.Equal("after", (await bystander.CommandAsync("GET", key)).Text);

        // New clients are accepted and served too.
        await using var newcomer = await fixture.ConnectAsync();
        Assert.Equal("after", (await newcomer.CommandAsync("GET", key)).Text);
    }

    [Fact]
    public async Task Requests_before_the_malformed_one_are_answered_first_and_nothing_after_it_runs()
    {
        var p = StandaloneProxyFixture.NewPrefix("protocol-pipeline");
        await using var client = await fixture.ConnectAsync();
        await client.SendRawAsync(
            $"*3\r\n$3\r\nSET\r\n${p.Length + 1}\r\n{p}a\r\n$1\r\n1\r\n" +
            $"INCR {p}n\r\n" +
            "*1\r\n$abc\r\n" +
            $"*3\r\n$3\r\nSET\r\n${p.Length + 1}\r\n{p}b\r\n$1\r\n2\r\n");
        Assert.Equal("+OK", (await client.ReadAsync()).ToString());
        Assert.Equal(":1", (await client.ReadAsync()).ToString());
        Assert.Equal("-ERR Protocol error: invalid bulk length", (await client.ReadAsync()).ToString());
        Assert.True(await client.IsClosedByServerAsync(CloseDeadline), "the proxy kept the connection open after the protocol error");
        await Assert.ThrowsAsync<EndOfStreamException>(client.ReadAsync);

        await using var other = await fixture.ConnectAsync();
        Assert.Equal("1", (await other.CommandAsync("GET", p + "a")).Text);
        Assert.Equal(":0", (await other.CommandAsync("EXISTS", p + "b")).ToString());
    }

    [Fact]
    public async Task Malformed_request_split_over_many_writes_is_still_detected()
    {
        await using var client = await fixture.ConnectAsync();
        foreach (var piece in new[] { "*2\r", "\n$3\r\nGE", "T\r\n", "$1x", "\r\n" })
        {
            await client.SendRawAsync(piece);
        }

        Assert.Equal("-ERR Protocol error: invalid bulk length", (await client.ReadAsync()).ToString());
        Assert.True(await client.IsClosedByServerAsync(CloseDeadline), "the proxy kept the connection open after the protocol error");
    }

    [Fact]
    public async Task Empty_and_null_multibulk_frames_are_skipped_like_redis_does()
    {
        await using var client = await fixture.ConnectAsync();
        await client.SendRawAsync("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n");
        Assert.Equal("+PONG", (await client.ReadAsync()).ToString());
        Assert.Equal("+PONG", (await client.CommandAsync("PING")).ToString());
    }
}
