using System.Buffers;
using RespProxy.Resp.Parsing;
using RespProxy.Resp.Tests.Framing;
using Xunit;
using static RespProxy.Resp.Tests.Framing.TestBytes;

namespace RespProxy.Resp.Tests.Parsing;

/// <summary>Well-formed client requests, each checked in every feeding mode.</summary>
public class RequestParserValidTests
{
    private static readonly Dictionary<string, ValidCase> Cases = BuildCases();

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void TryParse_ValidRequest_SameRequestsInEveryFeedingMode(string name)
    {
        var valid = Cases[name];
        string expected = ParserHarness.ExpectedText(valid.Expected, "NeedMoreData(remaining=0)");

        ParserHarness.AssertNoFailures(ParserHarness.CheckAllFeedings(valid.Payload, expected, valid.Limits));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void TryParse_ValidRequestFollowedByPartialFrame_GuardBytesNotConsumed(string name)
    {
        var valid = Cases[name];
        var guard = Of("*2\r\n$3\r\nGET\r\n$1");
        string expected = ParserHarness.ExpectedText(valid.Expected, $"NeedMoreData(remaining={guard.Length})");

        ParserHarness.AssertNoFailures(ParserHarness.CheckAllFeedings(Concat(valid.Payload, guard), expected, valid.Limits));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void TryParse_ValidRequestFollowedByNextRequest_NextRequestParsedIntact(string name)
    {
        var valid = Cases[name];
        var next = Multibulk("GET", "next");
        var frames = valid.Expected.Append(ParsedFrame.MultibulkRequest(next, "GET", "next"));
        string expected = ParserHarness.ExpectedText(frames, "NeedMoreData(remaining=0)");

        // Whole and split at every offset is enough here: the single-frame theory covers the other modes.
        var feedings = Feeding.SplitOffsets(valid.Payload.Length + next.Length)
            .Select(offset => Feeding.Split(valid.Payload.Length + next.Length, offset))
            .Prepend(Feeding.Whole(valid.Payload.Length + next.Length));
        ParserHarness.AssertNoFailures(ParserHarness.CheckAllFeedings(Concat(valid.Payload, next), expected, valid.Limits, feedings));
    }

    [Fact]
    public void TryParse_EmptyBuffer_NeedMoreData()
    {
        var parser = new RequestParser();

        var result = parser.TryParse(ReadOnlySequence<byte>.Empty, out long consumed);

        Assert.Equal(RequestParseResult.NeedMoreData, result);
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void TryParse_MultibulkRequest_FrameIsZeroCopySliceOfInput()
    {
        var payload = Concat(Multibulk("SET", "key", "value"), Of("*1\r\n"));
        var buffer = new ReadOnlySequence<byte>(payload);
        var parser = new RequestParser();

        Assert.Equal(RequestParseResult.Request, parser.TryParse(buffer, out long consumed));

        var frame = parser.Request.Frame;
        Assert.Equal(payload.Length - 4, consumed);
        Assert.Equal(consumed, frame.Length);
        Assert.True(frame.Start.Equals(buffer.Start), "Frame must start at the buffer's first byte (a slice, not a copy)");
        Assert.False(parser.Request.WasInline);
        Assert.Equal([8L, 17L, 26L], Enumerable.Range(0, 3).Select(parser.Request.GetArgumentOffset));
        Assert.True(parser.Request.ArgumentEquals(0, "SET"u8));
    }

    [Fact]
    public void TryParse_MultibulkSplitAcrossSegments_ArgumentOffsetsRelativeToFrame()
    {
        var payload = Multibulk("SET", "key", "value");
        var buffer = SegmentedSequence.Split(payload, 3, 9, 10, 20);
        var parser = new RequestParser();

        Assert.Equal(RequestParseResult.Request, parser.TryParse(buffer, out _));

        for (int i = 0; i < 3; i++)
        {
            long offset = parser.Request.GetArgumentOffset(i);
            Assert.Equal(parser.Request.GetArgument(i).ToArray(), payload.AsSpan((int)offset, parser.Request.GetArgumentLength(i)).ToArray());
        }
    }

    [Fact]
    public void TryParse_InlineRequest_FrameIsReencodedMultibulkAndFlaggedInline()
    {
        var parser = new RequestParser();

        Assert.Equal(RequestParseResult.Request, parser.TryParse(new ReadOnlySequence<byte>(Of("set a \"b c\"\r\n")), out long consumed));

        Assert.Equal(13, consumed);
        Assert.True(parser.Request.WasInline);
        Assert.Equal("*3\r\n$3\r\nset\r\n$1\r\na\r\n$3\r\nb c\r\n", System.Text.Encoding.Latin1.GetString(parser.Request.Frame.ToArray()));
        Assert.True(parser.Request.ArgumentEquals(0, "SET"u8));
        Assert.Equal("b c"u8.ToArray(), parser.Request.GetArgument(2).ToArray());
    }

    [Fact]
    public void TryParse_MultibulkAfterInline_NotFlaggedInline()
    {
        var parser = new RequestParser();
        var buffer = new ReadOnlySequence<byte>(Concat(Of("PING\r\n"), Multibulk("GET", "k")));

        Assert.Equal(RequestParseResult.Request, parser.TryParse(buffer, out long first));
        Assert.True(parser.Request.WasInline);
        Assert.Equal(RequestParseResult.Request, parser.TryParse(buffer.Slice(first), out _));
        Assert.False(parser.Request.WasInline);
        Assert.Equal(2, parser.Request.ArgumentCount);
    }

    [Fact]
    public void TryParse_CountAtDefaultLimit_AcceptedAndWaitsForArguments()
    {
        var parser = new RequestParser();

        var result = parser.TryParse(new ReadOnlySequence<byte>(Of("*1048576\r\n$1\r\na\r\n")), out long consumed);

        Assert.Equal(RequestParseResult.NeedMoreData, result);
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void TryParse_BulkLengthAtDefaultLimit_AcceptedAndWaitsForData()
    {
        var parser = new RequestParser();

        var result = parser.TryParse(new ReadOnlySequence<byte>(Of("*1\r\n$536870912\r\nabc")), out long consumed);

        Assert.Equal(RequestParseResult.NeedMoreData, result);
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void TryParse_HugeClaimedCountAndLength_NothingSizedFromClaims()
    {
        var parser = new RequestParser();
        var buffer = new ReadOnlySequence<byte>(Of("*1048576\r\n$536870912\r\nabc"));
        parser.TryParse(buffer, out _);
        parser = new RequestParser();

        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = parser.TryParse(buffer, out _);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(RequestParseResult.NeedMoreData, result);
        Assert.True(allocated < 4096, $"allocated {allocated} bytes for a claimed 1M-element, 512 MiB request");
    }

    [Fact]
    public void TryParse_NewFrameAfterNeedMoreData_ArgumentsOfPreviousRequestDropped()
    {
        var parser = new RequestParser();
        var first = new ReadOnlySequence<byte>(Multibulk("SET", "a", "b"));
        Assert.Equal(RequestParseResult.Request, parser.TryParse(first, out _));

        Assert.Equal(RequestParseResult.Request, parser.TryParse(new ReadOnlySequence<byte>(Multibulk("PING")), out _));

        Assert.Equal(1, parser.Request.ArgumentCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => parser.Request.GetArgument(1));
    }

    private static Dictionary<string, ValidCase> BuildCases()
    {
        var cases = new Dictionary<string, ValidCase>();

        void Add(string name, params Part[] parts) => AddWithLimits(name, null, parts);

        void AddWithLimits(string name, ProtocolLimits? limits, params Part[] parts) =>
            cases.Add(name, new ValidCase(Concat(parts.Select(part => part.Bytes).ToArray()), parts.Select(part => part.Expected).ToArray(), limits));

        Add("Set", Mb("SET", "key", "value"));
        Add("Get", Mb("GET", "key"));
        Add("SetLiteral", Raw("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", "SET", "key", "value"));
        Add("EmptyArguments", Raw("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n", "SET", "", ""));
        Add("SingleEmptyArgument", Raw("*1\r\n$0\r\n\r\n", ""));
        Add("BinaryArguments", Mb("SET", "\r\n", "\0", "a\r\nb\0c\r\n", "\xff\xfe*$+-:\r\n\r", "\n\n\n"));
        Add("ArgumentContainingRespFrame", Mb("SET", "k", "*1\r\n$4\r\nPING\r\n"));
        Add("ArgumentOfDigits", Mb("INCRBY", "k", "-9223372036854775808"));
        Add("OneMegabyteArgument", MbBytes(Of("SET"), Of("key"), Noise(1024 * 1024, 7)));
        Add("ManyArguments", MbBytes(Enumerable.Range(0, 300).Select(i => i == 0 ? Of("MSET") : Noise(i % 23, i)).ToArray()));
        Add("TwoDigitLengths", Mb("SET", "0123456789abcdef", new string('x', 99)));
        Add(
            "Pipelined",
            Mb("SET", "a", "1"),
            Mb("GET", "a"),
            Skip("*0\r\n"),
            Inline("PING\r\n", "PING"),
            Mb("DEL", "a", "b"),
            Skip("*-1\r\n"),
            Inline("get a\n", "get", "a"),
            Skip("\r\n"),
            Mb("PING"));
        Add("EmptyMultibulk", Skip("*0\r\n"));
        Add("NullMultibulk", Skip("*-1\r\n"));
        Add("NegativeMultibulk", Skip("*-7\r\n"));
        Add("InlinePing", Inline("PING\r\n", "PING"));
        Add("InlineLowercaseLfOnly", Inline("set a b\n", "set", "a", "b"));
        Add("InlineDoubleQuotedEscapes", Inline("SET \"k\\x41\\n\\\"\" \"v w\"\r\n", "SET", "kA\n\"", "v w"));
        Add("InlineAllEscapes", Inline("ECHO \"\\r\\t\\b\\a\\\\\\q\\x4g\\xZZ\\x7e\\xFf\\x00\"\r\n", "ECHO", "\r\t\b\a\\qx4gxZZ~\xff\0"));
        Add("InlineHexEscapedCrLf", Inline("SET k \"\\x0d\\x0a\"\r\n", "SET", "k", "\r\n"));
        Add("InlineSingleQuotes", Inline("SET 'a b' 'it\\'s' 'c\\nd'\r\n", "SET", "a b", "it's", "c\\nd"));
        Add("InlineEmptyQuotedArguments", Inline("SET k \"\" ''\r\n", "SET", "k", "", ""));
        Add("InlineQuoteInsideToken", Inline("SET a\"b c\" e\r\n", "SET", "ab c", "e"));
        Add("InlineQuotedThenTab", Inline("SET \"a\"\t'b'\r\n", "SET", "a", "b"));
        Add("InlineExtraWhitespace", Inline("  GET \t key   \r\n", "GET", "key"));
        Add("InlineVerticalTabInsideToken", Inline("\v\fGET a\vb\r\n", "GET", "a\vb"));
        Add("InlineCarriageReturnSeparates", Inline("GET a\rb\r\n", "GET", "a", "b"));
        Add("InlineNulEndsLine", Inline("PING\0ignored \"\r\n", "PING"));
        Add("InlineArgumentStartingWithStar", Inline("ECHO *1\r\n", "ECHO", "*1"));
        Add("InlineBlankLine", Skip("\r\n"));
        Add("InlineBareNewline", Skip("\n"));
        Add("InlineWhitespaceOnly", Skip(" \t \r\n"));
        Add("InlineAtMaxLength", Inline("ECHO " + new string('a', (64 * 1024) - 5) + "\n", "ECHO", new string('a', (64 * 1024) - 5)));
        Add("InlineAtMaxLengthCountingCr", Inline("ECHO " + new string('b', (64 * 1024) - 6) + "\r\n", "ECHO", new string('b', (64 * 1024) - 6)));
        AddWithLimits("InlineAtCustomLimit", new ProtocolLimits { MaxInlineLength = 8 }, Inline("GET abc\r\n", "GET", "abc"));
        AddWithLimits("CountAtCustomLimit", new ProtocolLimits { MaxMultibulkLength = 3 }, Mb("SET", "k", "v"));
        AddWithLimits("BulkAtCustomLimit", new ProtocolLimits { MaxBulkLength = 5 }, Mb("SET", "k", "12345"));
        return cases;
    }

    private static Part Mb(params string[] arguments) => new(Multibulk(arguments), ParsedFrame.MultibulkRequest(Multibulk(arguments), arguments));

    private static Part MbBytes(params byte[][] arguments) => new(Multibulk(arguments), ParsedFrame.MultibulkRequest(Multibulk(arguments), arguments));

    private static Part Raw(string frame, params string[] arguments) => new(Of(frame), ParsedFrame.MultibulkRequest(Of(frame), arguments));

    private static Part Inline(string line, params string[] arguments) => new(Of(line), ParsedFrame.InlineRequest(line.Length, arguments));

    private static Part Skip(string text) => new(Of(text), ParsedFrame.Skipped(text.Length));

    private sealed record Part(byte[] Bytes, ParsedFrame Expected);

    private sealed record ValidCase(byte[] Payload, ParsedFrame[] Expected, ProtocolLimits? Limits);
}
