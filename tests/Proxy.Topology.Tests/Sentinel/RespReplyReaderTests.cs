using RespProxy.Topology.Sentinel;
using Xunit;
using static RespProxy.Topology.Tests.Sentinel.Replies;

namespace RespProxy.Topology.Tests.Sentinel;

public sealed class RespReplyReaderTests
{
    [Fact]
    public void Reads_resp2_types()
    {
        Assert.Equal("OK", Parse("+OK\r\n").Text);
        Assert.Equal("ERR nope", Parse("-ERR nope\r\n").Text);
        Assert.True(Parse("-ERR nope\r\n").IsError);
        Assert.Equal(-42, Parse(":-42\r\n").Integer);
        Assert.Equal("a\r\nb", Parse("$4\r\na\r\nb\r\n").Text);
        Assert.True(Parse("$-1\r\n").IsNull);
        Assert.True(Parse("*-1\r\n").IsNull);

        var nested = Parse("*2\r\n:1\r\n*1\r\n+x\r\n");
        Assert.Equal(2, nested.Items.Count);
        Assert.Equal("x", nested.Items[1].Items[0].Text);
    }

    [Fact]
    public void Reads_resp3_maps_flattened()
    {
        var map = Parse("%2\r\n+ip\r\n+127.0.0.1\r\n+port\r\n:6379\r\n");

        var fields = SentinelReplyParser.ToFields(map);

        Assert.Equal("127.0.0.1", fields["ip"]);
        Assert.Equal("6379", fields["port"]);
    }

    [Theory]
    [InlineData("$10\r\nshort\r\n")]
    [InlineData("*2\r\n:1\r\n")]
    [InlineData("?what\r\n")]
    [InlineData("+OK\r\nextra")]
    public void Rejects_malformed_frames(string wire)
    {
        Assert.Throws<InvalidDataException>(() => Parse(wire));
    }

    [Fact]
    public void Numbers_sent_as_strings_convert()
    {
        Assert.True(Parse("$4\r\n1234\r\n").TryGetInt64(out long value));
        Assert.Equal(1234, value);
        Assert.False(Parse("$3\r\nabc\r\n").TryGetInt64(out _));
    }

    [Fact]
    public void Bulk_arrays_helper_round_trips()
    {
        var reply = Parse(BulkArray("a", "", "ç"));

        Assert.Equal(["a", "", "ç"], reply.Items.Select(item => item.Text));
    }
}
