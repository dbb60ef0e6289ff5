using System.Buffers;
using RespProxy.Resp.Parsing;
using RespProxy.Resp.Tests.Framing;
using Xunit;
using static RespProxy.Resp.Tests.Framing.TestBytes;

namespace RespProxy.Resp.Tests.Parsing;

/// <summary>Segment layouts that are legal for a ReadOnlySequence but unusual.</summary>
public class RequestParserSegmentEdgeTests
{
    /// <summary>
    /// A sequence whose first segment is empty is legal (RespFrameScanner accepts it; Pipe can hand one out when
    /// the reader consumed a whole segment while the writer was between GetMemory and Advance on it).
    /// </summary>
    [Theory]
    [InlineData("*1\r\n$4\r\nPING\r\n")]
    [InlineData("PING\r\n")]
    public void TryParse_LeadingEmptySegment_ParsesRequest(string request)
    {
        var payload = Of(request);
        var buffer = SegmentedSequence.Create(ReadOnlyMemory<byte>.Empty, payload);
        var parser = new RequestParser();

        var result = parser.TryParse(buffer, out long consumed);

        Assert.Equal(RequestParseResult.Request, result);
        Assert.Equal(payload.Length, consumed);
        Assert.Equal("PING"u8.ToArray(), parser.Request.GetArgument(0).ToArray());
    }

    [Fact]
    public void TryParse_EmptySegmentsInMiddleAndEnd_ParsesRequest()
    {
        var payload = Multibulk("SET", "key", "value");
        var buffer = SegmentedSequence.Create(
            payload.AsMemory(0, 1), ReadOnlyMemory<byte>.Empty, payload.AsMemory(1, 10), ReadOnlyMemory<byte>.Empty,
            ReadOnlyMemory<byte>.Empty, payload.AsMemory(11), ReadOnlyMemory<byte>.Empty);
        var parser = new RequestParser();

        Assert.Equal(RequestParseResult.Request, parser.TryParse(buffer, out long consumed));
        Assert.Equal(payload.Length, consumed);
        Assert.Equal(payload, parser.Request.Frame.ToArray());
    }

    [Fact]
    public void TryParse_ResumedWithDifferentSegmentation_SameRequest()
    {
        var payload = Multibulk("SET", "key", "some\r\nvalue");
        var parser = new RequestParser();

        Assert.Equal(RequestParseResult.NeedMoreData, parser.TryParse(new ReadOnlySequence<byte>(payload, 0, 20), out _));
        Assert.Equal(RequestParseResult.NeedMoreData, parser.TryParse(SegmentedSequence.Split(payload[..25], 3, 7, 21), out _));
        var result = parser.TryParse(SegmentedSequence.Split(payload, 12, 30), out long consumed);

        Assert.Equal(RequestParseResult.Request, result);
        Assert.Equal(payload.Length, consumed);
        Assert.Equal("some\r\nvalue"u8.ToArray(), parser.Request.GetArgument(2).ToArray());
    }

    [Fact]
    public void TryParse_NoNewBytesAfterNeedMoreData_StillNeedMoreData()
    {
        var payload = Of("*2\r\n$3\r\nGET\r\n$3\r\nke");
        var parser = new RequestParser();
        var buffer = new ReadOnlySequence<byte>(payload);

        Assert.Equal(RequestParseResult.NeedMoreData, parser.TryParse(buffer, out _));
        Assert.Equal(RequestParseResult.NeedMoreData, parser.TryParse(buffer, out _));
        var result = parser.TryParse(new ReadOnlySequence<byte>(Concat(payload, Of("y\r\n"))), out long consumed);

        Assert.Equal(RequestParseResult.Request, result);
        Assert.Equal(payload.Length + 3, consumed);
        Assert.Equal("key"u8.ToArray(), parser.Request.GetArgument(1).ToArray());
    }
}
