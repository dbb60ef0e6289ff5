using System.Buffers;
using System.Text;
using RespProxy.Resp.Parsing;
using Xunit;

namespace RespProxy.Resp.Tests.Parsing;

public class ProtocolErrorsTests
{
    [Theory]
    [InlineData(ProtocolError.InvalidMultibulkLength, 0, "ERR Protocol error: invalid multibulk length")]
    [InlineData(ProtocolError.InvalidBulkLength, 0, "ERR Protocol error: invalid bulk length")]
    [InlineData(ProtocolError.TooBigInlineRequest, 0, "ERR Protocol error: too big inline request")]
    [InlineData(ProtocolError.UnbalancedQuotes, 0, "ERR Protocol error: unbalanced quotes in request")]
    [InlineData(ProtocolError.MissingBulkTerminator, 0, @"ERR Protocol error: expected '\r\n' after bulk argument")]
    [InlineData(ProtocolError.ExpectedDollar, (byte)'x', "ERR Protocol error: expected '$', got 'x'")]
    [InlineData(ProtocolError.ExpectedDollar, (byte)'+', "ERR Protocol error: expected '$', got '+'")]
    public void Describe_EachError_RedisWords(ProtocolError error, byte offendingByte, string expected)
    {
        Assert.Equal(expected, ProtocolErrors.Describe(error, offendingByte));
    }

    [Theory]
    [InlineData(ProtocolError.InvalidMultibulkLength)]
    [InlineData(ProtocolError.InvalidBulkLength)]
    [InlineData(ProtocolError.TooBigInlineRequest)]
    [InlineData(ProtocolError.UnbalancedQuotes)]
    [InlineData(ProtocolError.MissingBulkTerminator)]
    [InlineData(ProtocolError.ExpectedDollar)]
    public void Write_EachError_SimpleErrorFrameOfDescribeText(ProtocolError error)
    {
        var output = new ArrayBufferWriter<byte>();

        ProtocolErrors.Write(output, error, (byte)'?');

        Assert.Equal("-" + ProtocolErrors.Describe(error, (byte)'?') + "\r\n", Encoding.Latin1.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Write_None_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolErrors.Write(new ArrayBufferWriter<byte>(), ProtocolError.None, 0));
    }
}
