using RespProxy.TestSupport;
using Xunit;

namespace RespProxy.IntegrationTests.Standalone;

/// <summary>
/// Commands the proxy answers itself (connection state), the errors it gives in Redis's words, and the commands it
/// refuses; a refusal leaves the connection usable.
/// </summary>
public sealed class LocalCommandTests(StandaloneProxyFixture fixture) : IClassFixture<StandaloneProxyFixture>
{
    private static void AssertError(string expected, RespValue reply) =>
        Assert.True(reply.Type == '-' && reply.Text == expected, $"expected -{expected}, got {reply}");

    [Fact]
    public async Task Ping_and_echo()
    {
        await using var client = await fixture.ConnectAsync();
        Assert.Equal("+PONG", (await client.CommandAsync("PING")).ToString());
        var pong = await client.CommandAsync("PING", "hello there");
        Assert.Equal(('$', "hello there"), (pong.Type, pong.Text));
        var echo = await client.CommandAsync("ECHO", "a\r\nb");
        Assert.Equal(('$', "a\r\nb"), (echo.Type, echo.Text));
        var empty = await client.CommandAsync("ECHO", "");
        Assert.Equal(('$', ""), (empty.Type, empty.Text));
        AssertError("ERR wrong number of arguments for 'echo' command", await client.CommandAsync("ECHO"));
        AssertError("ERR wrong number of arguments for 'ping' command", await client.CommandAsync("PING", "a", "b"));
    }

    [Fact]
    public async Task Hello_without_arguments_describes_a_resp2_connection()
    {
        await using var client = await fixture.ConnectAsync();
        var reply = await client.CommandAsync("HELLO");
        Assert.Equal('*', reply.Type);
        Assert.Equal(14, reply.Items!.Count);
        var fields = new Dictionary<string, RespValue>();
        for (int i = 0; i < reply.Items.Count; i += 2)
        {
            fields[reply.Items[i].Text!] = reply.Items[i + 1];
        }

        Assert.Equal(["server", "version", "proto", "id", "mode", "role", "modules"], fields.Keys);
        Assert.Equal("redis", fields["server"].Text);
        Assert.Equal((':', 2L), (fields["proto"].Type, fields["proto"].Integer));
        Assert.Equal(':', fields["id"].Type);
        Assert.Equal("standalone", fields["mode"].Text);
        Assert.Equal("master", fields["role"].Text);
        var direct = RedisInfo.Parse((await fixture.Redis.CliAsync("INFO", "server")).Stdout);
        Assert.Equal(direct["redis_version"], fields["version"].Text);

        // HELLO's id is the one CLIENT ID reports on the same connection.
        Assert.Equal(fields["id"].Integer, (await client.CommandAsync("CLIENT", "ID")).Integer);
    }

    [Fact]
    public async Task Hello_3_is_refused_and_the_connection_stays_resp2()
    {
        await using var client = await fixture.ConnectAsync();
        AssertError("NOPROTO sorry, this protocol version is not supported", await client.CommandAsync("HELLO", "3"));
        var hello2 = await client.CommandAsync("HELLO", "2");
        Assert.Equal(('*', 14), (hello2.Type, hello2.Items!.Count));
        AssertError("ERR Protocol version is not an integer or out of range", await client.CommandAsync("HELLO", "x"));
        Assert.Equal("+PONG", (await client.CommandAsync("PING")).ToString());
    }

    [Fact]
    public async Task Hello_setname_sets_the_client_name()
    {
        await using var client = await fixture.ConnectAsync();
        Assert.True((await client.CommandAsync("CLIENT", "GETNAME")).IsNull);
        var hello = await client.CommandAsync("HELLO", "2", "SETNAME", "x");
        Assert.Equal('*', hello.Type);
        var name = await client.CommandAsync("CLIENT", "GETNAME");
        Assert.Equal(('$', "x"), (name.Type, name.Text));

        Assert.Equal("+OK", (await client.CommandAsync("CLIENT", "SETNAME", "renamed")).ToString());
        Assert.Equal("renamed", (await client.CommandAsync("CLIENT", "GETNAME")).Text);

        AssertError(
            "ERR Client names cannot contain spaces, newlines or special characters.",
            await client.CommandAsync("CLIENT", "SETNAME", "with space"));
        Assert.Equal("renamed", (await client.CommandAsync("CLIENT", "GETNAME")).Text);

        // The name belongs to this connection, not to the backend connection it shares.
        await using var other = await fixture.ConnectAsync();
        Assert.True((await other.CommandAsync("CLIENT", "GETNAME")).IsNull);
    }

    [Fact]
    public async Task Select()
    {
        await using var client = await fixture.ConnectAsync();
        Assert.Equal("+OK", (await client.CommandAsync("SELECT", "0")).ToString());
        var one = await client.CommandAsync("SELECT", "1");
        Assert.True(one.IsError, one.ToString());
        AssertError("ERR value is not an integer or out of range", await client.CommandAsync("SELECT", "abc"));
        Assert.Equal("+PONG", (await client.CommandAsync("PING")).ToString());
    }

    [Fact]
    public async Task Client_id_is_an_integer_that_differs_between_connections()
    {
        await using var first = await fixture.ConnectAsync();
        await using var second = await fixture.ConnectAsync();
        var a = await first.CommandAsync("CLIENT", "ID");
        var b = await second.CommandAsync("CLIENT", "ID");
        Assert.Equal(':', a.Type);
        Assert.Equal(':', b.Type);
        Assert.NotEqual(a.Integer, b.Integer);
        Assert.Equal(a.Integer, (await first.CommandAsync("CLIENT", "ID")).Integer);
    }

    [Fact]
    public async Task Quit_answers_ok_then_the_proxy_closes_the_connection()
    {
        await using var client = await fixture.ConnectAsync();
        Assert.Equal("+OK", (await client.CommandAsync("QUIT")).ToString());
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "the proxy kept the connection open after QUIT");
    }

    [Fact]
    public async Task Quit_after_pipelined_forwarded_requests_answers_them_first()
    {
        var k = StandaloneProxyFixture.NewPrefix("quit-pipeline") + "k";
        await using var client = await fixture.ConnectAsync();
        await client.SendRawAsync(
            $"*3\r\n$3\r\nSET\r\n${k.Length}\r\n{k}\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n${k.Length}\r\n{k}\r\n*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n");
        Assert.Equal("+OK", (await client.ReadAsync()).ToString());
        Assert.Equal("v", (await client.ReadAsync()).Text);
        Assert.Equal("+OK", (await client.ReadAsync()).ToString());
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "the proxy kept the connection open after QUIT");
        await Assert.ThrowsAsync<EndOfStreamException>(client.ReadAsync);
    }

    [Fact]
    public async Task Cluster_commands_get_redis_standalone_answer()
    {
        await using var client = await fixture.ConnectAsync();
        AssertError("ERR This instance has cluster support disabled", await client.CommandAsync("CLUSTER", "NODES"));
        AssertError("ERR This instance has cluster support disabled", await client.CommandAsync("CLUSTER", "SLOTS"));
        Assert.Equal("+PONG", (await client.CommandAsync("PING")).ToString());
    }

    [Fact]
    public async Task Wrong_arity_unknown_command_and_unknown_subcommand_use_redis_words()
    {
        await using var client = await fixture.ConnectAsync();
        AssertError("ERR wrong number of arguments for 'get' command", await client.CommandAsync("GET"));
        AssertError("ERR wrong number of arguments for 'set' command", await client.CommandAsync("SET", "k"));
        AssertError("ERR unknown command 'foo', with args beginning with: 'a' ", await client.CommandAsync("foo", "a"));
        AssertError("ERR unknown command 'NOPE', with args beginning with: ", await client.CommandAsync("NOPE"));
        AssertError("ERR unknown subcommand 'FOO'. Try CLIENT HELP.", await client.CommandAsync("CLIENT", "FOO"));
        Assert.Equal("+PONG", (await client.CommandAsync("PING")).ToString());
    }

    [Theory]
    [InlineData("BLPOP", new[] { "BLPOP", "list", "0" })]
    [InlineData("SUBSCRIBE", new[] { "SUBSCRIBE", "channel" })]
    [InlineData("MULTI", new[] { "MULTI" })]
    [InlineData("CONFIG", new[] { "CONFIG", "GET", "*" })]
    [InlineData("BRPOPLPUSH", new[] { "BRPOPLPUSH", "a", "b", "0" })]
    [InlineData("PSUBSCRIBE", new[] { "PSUBSCRIBE", "c*" })]
    [InlineData("EXEC", new[] { "EXEC" })]
    [InlineData("MONITOR", new[] { "MONITOR" })]
    [InlineData("SHUTDOWN", new[] { "SHUTDOWN" })]
    public async Task Refused_commands_get_an_error_naming_them_and_the_connection_stays_usable(string name, string[] command)
    {
        await using var client = await fixture.ConnectAsync();
        var reply = await client.CommandAsync(command);
        Assert.True(reply.IsError, $"{string.Join(' ', command)} -> {reply}");
        Assert.StartsWith("ERR ", reply.Text, StringComparison.Ordinal);
        Assert.Contains(name, reply.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("+PONG", (await client.CommandAsync("PING")).ToString());
        Assert.Equal(":0", (await client.CommandAsync("EXISTS", StandaloneProxyFixture.NewPrefix("refused"))).ToString());

        // The backend really is still up (SHUTDOWN was never forwarded).
        Assert.True(fixture.Redis.IsRunning, fixture.Redis.Diagnostics());
    }
}
