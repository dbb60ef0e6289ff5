using System.Buffers;
using RespProxy.Resp.Parsing;
using Xunit;
using static RespProxy.Resp.Tests.Framing.TestBytes;

namespace RespProxy.Resp.Tests.Parsing;

/// <summary>The accessors of a parsed request.</summary>
public class RespRequestTests
{
    [Theory]
    [InlineData("0", true, 0L)]
    [InlineData("-5", true, -5L)]
    [InlineData("9223372036854775807", true, long.MaxValue)]
    [InlineData("-9223372036854775808", true, long.MinValue)]
    [InlineData("9223372036854775808", false, 0L)]
    [InlineData("+1", false, 0L)]
    [InlineData("", false, 0L)]
    [InlineData("1a", false, 0L)]
    [InlineData(" 1", false, 0L)]
    [InlineData("123456789012345678901234567890", false, 0L)]
    public void TryGetInt64_Argument_ParsesLikeString2ll(string argument, bool ok, long expected)
    {
        var request = Parse("INCRBY", "k", argument);

        Assert.Equal(ok, request.TryGetInt64(2, out long value));
        if (ok)
        {
            Assert.Equal(expected, value);
        }
    }

    [Fact]
    public void ArgumentEquals_DifferentCaseAndLength_CaseInsensitiveExactLength()
    {
        var request = Parse("cLiEnT", "setname", "x");

        Assert.True(request.ArgumentEquals(0, "CLIENT"u8));
        Assert.True(request.ArgumentEquals(1, "SETNAME"u8));
        Assert.False(request.ArgumentEquals(1, "SETNAMES"u8));
        Assert.False(request.ArgumentEquals(2, "Y"u8));
    }

    [Fact]
    public void TryCopyArgument_DestinationTooSmall_False()
    {
        var request = Parse("GET", "longer-key");
        Span<byte> small = stackalloc byte[4];

        Assert.False(request.TryCopyArgument(1, small, out int written));
        Assert.Equal(0, written);
        Assert.True(request.TryCopyArgument(0, small, out written));
        Assert.Equal(3, written);
    }

    [Fact]
    public void GetArgument_IndexOutOfRange_Throws()
    {
        var request = Parse("PING");

        Assert.Throws<ArgumentOutOfRangeException>(() => request.GetArgument(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => request.GetArgument(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => request.GetArgumentLength(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => request.GetArgumentOffset(1));
    }

    private static RespRequest Parse(params string[] arguments)
    {
        var parser = new RequestParser();
        Assert.Equal(RequestParseResult.Request, parser.TryParse(new ReadOnlySequence<byte>(Multibulk(arguments)), out _));
        return parser.Request;
    }
}
