using System.Buffers;
using RespProxy.Resp.Parsing;
using RespProxy.Resp.Tests.Framing;
using Xunit;
using static RespProxy.Resp.Tests.Framing.TestBytes;

namespace RespProxy.Resp.Tests.Parsing;

/// <summary>Malformed requests: the exact Redis error, in every feeding mode, never an exception.</summary>
public class RequestParserMalformedTests
{
    private const string InvalidMultibulkLength = "ERR Protocol error: invalid multibulk length";
    private const string InvalidBulkLength = "ERR Protocol error: invalid bulk length";
    private const string TooBigInline = "ERR Protocol error: too big inline request";
    private const string UnbalancedQuotes = "ERR Protocol error: unbalanced quotes in request";
    private const string MissingTerminator = @"ERR Protocol error: expected '\r\n' after bulk argument";

    private static readonly Dictionary<string, MalformedCase> Cases = BuildCases();

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Fact]
    public void Cases_AtLeastTwentyFive_TableIsLargeEnough()
    {
        Assert.True(Cases.Count >= 25, $"only {Cases.Count} malformed cases");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void TryParse_MalformedRequest_ExactErrorInEveryFeedingMode(string name)
    {
        var malformed = Cases[name];
        string expected = ParserHarness.ExpectedText(malformed.Before, ParsedFrame.Failure(malformed.Error, malformed.Text).ToText());

        ParserHarness.AssertNoFailures(ParserHarness.CheckAllFeedings(malformed.Payload, expected, malformed.Limits));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void TryParse_MalformedRequestWholeBuffer_ErrorPropertiesAndDescribeText(string name)
    {
        var malformed = Cases[name];
        var parser = new RequestParser(malformed.Limits);
        var buffer = new ReadOnlySequence<byte>(malformed.Payload);

        RequestParseResult result;
        long consumed;
        while ((result = parser.TryParse(buffer, out consumed)) is RequestParseResult.Request or RequestParseResult.Skipped)
        {
            buffer = buffer.Slice(consumed);
        }

        Assert.Equal(RequestParseResult.Error, result);
        Assert.Equal(0, consumed);
        Assert.Equal(malformed.Error, parser.Error);
        Assert.Equal(malformed.Text, ProtocolErrors.Describe(parser.Error, parser.ErrorByte));
    }

    [Fact]
    public void TryParse_ExpectedDollar_ErrorByteIsOffendingByte()
    {
        var parser = new RequestParser();

        var result = parser.TryParse(new ReadOnlySequence<byte>(Of("*2\r\n$3\r\nfoo\r\n#")), out _);

        Assert.Equal(RequestParseResult.Error, result);
        Assert.Equal(ProtocolError.ExpectedDollar, parser.Error);
        Assert.Equal((byte)'#', parser.ErrorByte);
    }

    [Fact]
    public void TryParse_InlineWithoutNewlineAtLimit_StillWaitsForNewline()
    {
        var parser = new RequestParser();

        var result = parser.TryParse(new ReadOnlySequence<byte>(Repeat((byte)'a', 64 * 1024)), out long consumed);

        Assert.Equal(RequestParseResult.NeedMoreData, result);
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void TryParse_InlineWithoutNewlineGrowingPastLimit_ErrorOnFirstByteOverLimit()
    {
        var payload = Repeat((byte)'a', (64 * 1024) + 10);
        var parser = new RequestParser();
        int calls = 0;
        RequestParseResult result;
        do
        {
            calls++;
            result = parser.TryParse(new ReadOnlySequence<byte>(payload, 0, calls * 4096 > payload.Length ? payload.Length : calls * 4096), out _);
        }
        while (result == RequestParseResult.NeedMoreData && calls * 4096 < payload.Length);

        Assert.Equal(RequestParseResult.Error, result);
        Assert.Equal(ProtocolError.TooBigInlineRequest, parser.Error);
    }

    /// <summary>
    /// Redis's string2ll rejects a negative count below LLONG_MIN ("-9999999999999999999" overflows), so Redis
    /// replies "invalid multibulk length"; a 19-digit negative must not be silently treated as "*-1".
    /// </summary>
    [Theory]
    [InlineData("*-9999999999999999999\r\n")]
    [InlineData("*-9223372036854775809\r\n")]
    public void TryParse_NegativeCountBeyondInt64_InvalidMultibulkLength(string payload)
    {
        var parser = new RequestParser();

        var result = parser.TryParse(new ReadOnlySequence<byte>(Of(payload)), out long consumed);

        Assert.Equal(RequestParseResult.Error, result);
        Assert.Equal(0, consumed);
        Assert.Equal(InvalidMultibulkLength, ProtocolErrors.Describe(parser.Error, parser.ErrorByte));
    }

    [Fact]
    public void TryParse_NegativeCountAtInt64Minimum_SkippedAsRedisDoes()
    {
        var parser = new RequestParser();

        var result = parser.TryParse(new ReadOnlySequence<byte>(Of("*-9223372036854775808\r\n")), out long consumed);

        Assert.Equal(RequestParseResult.Skipped, result);
        Assert.Equal(23, consumed);
    }

    private static Dictionary<string, MalformedCase> BuildCases()
    {
        var cases = new Dictionary<string, MalformedCase>();

        void Add(string name, string payload, ProtocolError error, string text) =>
            cases.Add(name, new MalformedCase(Of(payload), error, text, null, []));

        void AddBytes(string name, byte[] payload, ProtocolError error, string text, ProtocolLimits? limits = null, params ParsedFrame[] before) =>
            cases.Add(name, new MalformedCase(payload, error, text, limits, before));

        // Multibulk count.
        Add("CountLetters", "*abc\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountTrailingLetter", "*1x\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountEmpty", "*\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountLeadingZero", "*01\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountDoubleZero", "*00\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountPlusSign", "*+1\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountOverLimit", "*1048577\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountHugeDigits", "*99999999999999999999\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountMinusOnly", "*-\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountMinusZero", "*-0\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountDoubleMinus", "*--1\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountLeadingSpace", "* 1\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountTrailingSpace", "*1 \r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountCrCr", "*1\r\r", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);
        Add("CountBareLf", "*1\n$1\r\na\r\n", ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength);

        // Argument type.
        Add("SimpleStringArgument", "*1\r\n+foo\r\n", ProtocolError.ExpectedDollar, "ERR Protocol error: expected '$', got '+'");
        Add("IntegerArgument", "*1\r\n:1\r\n", ProtocolError.ExpectedDollar, "ERR Protocol error: expected '$', got ':'");
        Add("SecondArgumentNotBulk", "*2\r\n$3\r\nfoo\r\nx", ProtocolError.ExpectedDollar, "ERR Protocol error: expected '$', got 'x'");
        Add("NestedArrayArgument", "*1\r\n*1\r\n$1\r\na\r\n", ProtocolError.ExpectedDollar, "ERR Protocol error: expected '$', got '*'");
        Add("ArgumentStartsWithCr", "*1\r\n\r\n", ProtocolError.ExpectedDollar, "ERR Protocol error: expected '$', got '\r'");

        // Bulk length.
        Add("BulkNull", "*1\r\n$-1\r\n", ProtocolError.InvalidBulkLength, InvalidBulkLength);
        Add("BulkLetters", "*1\r\n$abc\r\n", ProtocolError.InvalidBulkLength, InvalidBulkLength);
        Add("BulkMinusZero", "*1\r\n$-0\r\n", ProtocolError.InvalidBulkLength, InvalidBulkLength);
        Add("BulkOverDefaultLimit", "*1\r\n$536870913\r\n", ProtocolError.InvalidBulkLength, InvalidBulkLength);
        Add("BulkEmptyLength", "*1\r\n$\r\n", ProtocolError.InvalidBulkLength, InvalidBulkLength);
        Add("BulkLeadingZero", "*1\r\n$01\r\na\r\n", ProtocolError.InvalidBulkLength, InvalidBulkLength);
        Add("BulkPlusSign", "*1\r\n$+1\r\na\r\n", ProtocolError.InvalidBulkLength, InvalidBulkLength);
        Add("BulkHugeDigits", "*1\r\n$99999999999999999999\r\n", ProtocolError.InvalidBulkLength, InvalidBulkLength);
        Add("BulkLengthCrCr", "*1\r\n$3\r\rfoo\r\n", ProtocolError.InvalidBulkLength, InvalidBulkLength);
        Add("BulkLengthBareLf", "*1\r\n$3\nfoo\r\n", ProtocolError.InvalidBulkLength, InvalidBulkLength);

        // Bulk terminator.
        Add("BulkDataNotTerminated", "*1\r\n$3\r\nfooXY", ProtocolError.MissingBulkTerminator, MissingTerminator);
        Add("BulkDataCrThenX", "*1\r\n$3\r\nfoo\rX", ProtocolError.MissingBulkTerminator, MissingTerminator);
        Add("BulkDataLfCr", "*1\r\n$3\r\nfoo\n\r", ProtocolError.MissingBulkTerminator, MissingTerminator);
        Add("EmptyBulkNotTerminated", "*1\r\n$0\r\nX\r\n", ProtocolError.MissingBulkTerminator, MissingTerminator);
        Add("BulkLongerThanDeclared", "*2\r\n$3\r\nfoo\r\n$3\r\nbarbaz\r\n", ProtocolError.MissingBulkTerminator, MissingTerminator);

        // Inline.
        AddBytes("InlineNoNewlineOver64KiB", Repeat((byte)'a', (64 * 1024) + 1), ProtocolError.TooBigInlineRequest, TooBigInline);
        AddBytes("InlineLine70KiBWithNewline", Concat(Of("SET k "), Repeat((byte)'v', 70 * 1024), Of("\r\n")), ProtocolError.TooBigInlineRequest, TooBigInline);
        AddBytes("InlineOneOverMaxWithNewline", Concat(Repeat((byte)'a', (64 * 1024) + 1), Of("\n")), ProtocolError.TooBigInlineRequest, TooBigInline);
        Add("InlineUnclosedDoubleQuote", "SET \"a b\r\n", ProtocolError.UnbalancedQuotes, UnbalancedQuotes);
        Add("InlineUnclosedSingleQuote", "SET 'a\r\n", ProtocolError.UnbalancedQuotes, UnbalancedQuotes);
        Add("InlineTextAfterClosingDoubleQuote", "SET \"a\"b\r\n", ProtocolError.UnbalancedQuotes, UnbalancedQuotes);
        Add("InlineTextAfterClosingSingleQuote", "SET 'a'b\r\n", ProtocolError.UnbalancedQuotes, UnbalancedQuotes);
        Add("InlineEscapedClosingQuote", "SET \"a\\\"\r\n", ProtocolError.UnbalancedQuotes, UnbalancedQuotes);
        Add("InlineTrailingBackslashInQuotes", "SET \"a\\\n", ProtocolError.UnbalancedQuotes, UnbalancedQuotes);
        Add("InlineNulInsideQuotes", "ECHO \"a\0b\"\r\n", ProtocolError.UnbalancedQuotes, UnbalancedQuotes);

        // After valid frames, and with custom limits.
        AddBytes(
            "ErrorAfterPipelinedRequests",
            Of("PING\r\n*1\r\n$4\r\nPING\r\n*0\r\n*x\r\n"),
            ProtocolError.InvalidMultibulkLength,
            InvalidMultibulkLength,
            null,
            ParsedFrame.InlineRequest(6, "PING"),
            ParsedFrame.MultibulkRequest(Of("*1\r\n$4\r\nPING\r\n"), "PING"),
            ParsedFrame.Skipped(4));
        AddBytes("BulkOverCustomLimit", Of("*2\r\n$3\r\nSET\r\n$17\r\n"), ProtocolError.InvalidBulkLength, InvalidBulkLength, new ProtocolLimits { MaxBulkLength = 16 });
        AddBytes("CountOverCustomLimit", Of("*3\r\n$3\r\nSET\r\n"), ProtocolError.InvalidMultibulkLength, InvalidMultibulkLength, new ProtocolLimits { MaxMultibulkLength = 2 });
        AddBytes("InlineOverCustomLimit", Of("GET abcd\r\n"), ProtocolError.TooBigInlineRequest, TooBigInline, new ProtocolLimits { MaxInlineLength = 8 });
        return cases;
    }

    private sealed record MalformedCase(byte[] Payload, ProtocolError Error, string Text, ProtocolLimits? Limits, ParsedFrame[] Before);
}
