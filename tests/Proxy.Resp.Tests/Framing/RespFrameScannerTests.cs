using System.Buffers;
using System.Globalization;
using RespProxy.Resp.Framing;
using Xunit;
using static RespProxy.Resp.Tests.Framing.TestBytes;

namespace RespProxy.Resp.Tests.Framing;

/// <summary>Reply frame boundaries for RESP2/RESP3, in every feeding mode.</summary>
public class RespFrameScannerTests
{
    private static readonly Dictionary<string, byte[]> ValidReplies = BuildValidReplies();

    private static readonly Dictionary<string, byte[]> InvalidReplies = new()
    {
        ["UnknownType"] = Of("?\r\n"),
        ["LetterType"] = Of("x"),
        ["CrAsType"] = Of("\r\n"),
        ["SpaceBeforeType"] = Of(" +OK\r\n"),
        ["InlineCommandText"] = Of("PING\r\n"),
        ["BulkLengthLetters"] = Of("$abc\r\n"),
        ["BulkLengthEmpty"] = Of("$\r\n"),
        ["BulkLengthMinusOnly"] = Of("$-\r\n"),
        ["BulkLengthMinusTwo"] = Of("$-2\r\n"),
        ["BulkLengthDoubleMinus"] = Of("$--1\r\n"),
        ["BulkLengthPlus"] = Of("$+1\r\n"),
        ["BulkLengthTrailingSpace"] = Of("$1 \r\n"),
        ["BulkLengthTooManyDigits"] = Of("$9999999999999999999\r\n"),
        ["BulkLengthCrThenX"] = Of("$1\rx"),
        ["ArrayCountMinusTwo"] = Of("*-2\r\n"),
        ["ArrayCountCrThenX"] = Of("*1\rx"),
        ["ArrayCountBareLf"] = Of("*1\n:1\r\n"),
        ["MapCountMinusTwo"] = Of("%-2\r\n"),
        ["StreamedBulk"] = Of("$?\r\n;4\r\nHell\r\n;0\r\n"),
        ["InvalidChildType"] = Of("*2\r\n:1\r\n?\r\n"),
        ["InvalidNestedCount"] = Of("*1\r\n*x\r\n"),
        ["InvalidMapValue"] = Of("%1\r\n+k\r\n@\r\n"),
        ["InvalidAfterAttribute"] = Of("|1\r\n+a\r\n+b\r\n?"),
        ["InvalidAfterCompleteBulkChild"] = Of("*2\r\n$3\r\nfoo\r\n\0"),
    };

    public static TheoryData<string> ValidNames => [.. ValidReplies.Keys];

    public static TheoryData<string> InvalidNames => [.. InvalidReplies.Keys];

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void TryScan_ValidReply_ExactLengthInEveryFeedingMode(string name)
    {
        var reply = ValidReplies[name];

        ScannerHarness.AssertAllFeedings(reply, ScannerHarness.ExpectedText([reply.Length], "NeedMoreData(remaining=0)"));
    }

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void TryScan_ValidReplyFollowedByPartialFrame_GuardBytesNotConsumed(string name)
    {
        var reply = ValidReplies[name];
        var guard = Of("*2\r\n$5\r\nhel");

        ScannerHarness.AssertAllFeedings(Concat(reply, guard), ScannerHarness.ExpectedText([reply.Length], $"NeedMoreData(remaining={guard.Length})"));
    }

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void TryScan_ValidReplyFollowedByNextReply_BothFramesExact(string name)
    {
        var reply = ValidReplies[name];
        var next = Of("$-1\r\n");
        int length = reply.Length + next.Length;
        var feedings = Feeding.SplitOffsets(length).Select(offset => Feeding.Split(length, offset)).Prepend(Feeding.Whole(length));

        ScannerHarness.AssertAllFeedings(Concat(reply, next), ScannerHarness.ExpectedText([reply.Length, next.Length], "NeedMoreData(remaining=0)"), feedings);
    }

    [Fact]
    public void TryScan_AllSmallRepliesPipelined_EachFrameExact()
    {
        var replies = ValidReplies.Values.Where(reply => reply.Length < 1024).ToArray();

        ScannerHarness.AssertAllFeedings(Concat(replies), ScannerHarness.ExpectedText(replies.Select(reply => (long)reply.Length), "NeedMoreData(remaining=0)"));
    }

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void TryScan_InvalidReply_InvalidInEveryFeedingMode(string name)
    {
        ScannerHarness.AssertAllFeedings(InvalidReplies[name], "Invalid");
    }

    [Fact]
    public void TryScan_EmptyBuffer_NeedMoreData()
    {
        var scanner = new RespFrameScanner();

        Assert.Equal(ScanResult.NeedMoreData, scanner.TryScan(ReadOnlySequence<byte>.Empty, out long length));
        Assert.Equal(0, length);
        Assert.Equal(0, scanner.Scanned);
    }

    [Fact]
    public void TryScan_PartialBulk_ScannedCountsExaminedBytes()
    {
        var scanner = new RespFrameScanner();
        var reply = Of("$10\r\n0123456789\r\n");

        Assert.Equal(ScanResult.NeedMoreData, scanner.TryScan(new ReadOnlySequence<byte>(reply, 0, 8), out _));
        Assert.Equal(8, scanner.Scanned);
        Assert.Equal(ScanResult.Complete, scanner.TryScan(new ReadOnlySequence<byte>(reply), out long length));
        Assert.Equal(reply.Length, length);
        Assert.Equal(0, scanner.Scanned);
    }

    [Fact]
    public void TryScan_ResetMidFrame_NextFrameScannedFromScratch()
    {
        var scanner = new RespFrameScanner();
        Assert.Equal(ScanResult.NeedMoreData, scanner.TryScan(new ReadOnlySequence<byte>(Of("*3\r\n:1\r\n")), out _));

        scanner.Reset();

        Assert.Equal(ScanResult.Complete, scanner.TryScan(new ReadOnlySequence<byte>(Of("+OK\r\n")), out long length));
        Assert.Equal(5, length);
    }

    [Fact]
    public void TryScan_AfterInvalid_ScannerStartsFreshFrame()
    {
        var scanner = new RespFrameScanner();
        Assert.Equal(ScanResult.Invalid, scanner.TryScan(new ReadOnlySequence<byte>(Of("*2\r\n:1\r\n?")), out _));

        Assert.Equal(ScanResult.Complete, scanner.TryScan(new ReadOnlySequence<byte>(Of(":7\r\n")), out long length));
        Assert.Equal(4, length);
    }

    [Fact]
    public void TryScan_LeadingEmptySegment_Complete()
    {
        var scanner = new RespFrameScanner();
        var buffer = SegmentedSequence.Create(ReadOnlyMemory<byte>.Empty, Of("*1\r\n"), ReadOnlyMemory<byte>.Empty, Of("+OK\r\n"));

        Assert.Equal(ScanResult.Complete, scanner.TryScan(buffer, out long length));
        Assert.Equal(9, length);
    }

    [Fact]
    public void TryScan_TenThousandNestedArrays_Complete()
    {
        var reply = Concat(Concat(Enumerable.Repeat(Of("*1\r\n"), 10_000).ToArray()), Of(":1\r\n"));
        var scanner = new RespFrameScanner();

        Assert.Equal(ScanResult.Complete, scanner.TryScan(new ReadOnlySequence<byte>(reply), out long length));
        Assert.Equal(reply.Length, length);
    }

    [Fact]
    public void TryScan_WideArrayOfMillionElements_Complete()
    {
        var reply = Concat(Of("*1000000\r\n"), Concat(Enumerable.Repeat(Of(":1\r\n"), 1_000_000).ToArray()));
        var scanner = new RespFrameScanner();

        Assert.Equal(ScanResult.NeedMoreData, scanner.TryScan(new ReadOnlySequence<byte>(reply, 0, reply.Length - 1), out _));
        Assert.Equal(ScanResult.Complete, scanner.TryScan(new ReadOnlySequence<byte>(reply), out long length));
        Assert.Equal(reply.Length, length);
    }

    private static Dictionary<string, byte[]> BuildValidReplies()
    {
        var tenMegabytes = Noise(10 * 1024 * 1024, 10);
        return new Dictionary<string, byte[]>
        {
            ["SimpleString"] = Of("+OK\r\n"),
            ["EmptySimpleString"] = Of("+\r\n"),
            ["Error"] = Of("-ERR x\r\n"),
            ["ErrorWithCodeAndText"] = Of("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            ["Integer"] = Of(":123\r\n"),
            ["NegativeInteger"] = Of(":-123\r\n"),
            ["NullBulk"] = Of("$-1\r\n"),
            ["EmptyBulk"] = Of("$0\r\n\r\n"),
            ["Bulk"] = Of("$5\r\nhello\r\n"),
            ["BulkWithEmbeddedCrLf"] = Of("$12\r\nhello\r\nworld\r\n"),
            ["BulkOfCrLfs"] = Of("$4\r\n\r\n\r\n\r\n"),
            ["BulkWithNulAndStars"] = Of("$6\r\n\0*1\r\n\0\r\n"),
            ["NullArray"] = Of("*-1\r\n"),
            ["EmptyArray"] = Of("*0\r\n"),
            ["Array"] = Of("*2\r\n$3\r\nfoo\r\n:1\r\n"),
            ["ArrayOfNulls"] = Of("*3\r\n$-1\r\n*-1\r\n_\r\n"),
            ["NestedArrays"] = Of("*2\r\n*2\r\n:1\r\n:2\r\n*2\r\n*0\r\n*1\r\n+x\r\n"),
            ["ArrayEndingInEmptyArrays"] = Of("*2\r\n*1\r\n*0\r\n*0\r\n"),
            ["Map"] = Of("%2\r\n+a\r\n:1\r\n+b\r\n*2\r\n:1\r\n:2\r\n"),
            ["EmptyMap"] = Of("%0\r\n"),
            ["MapWithAggregateKey"] = Of("%1\r\n%1\r\n+k\r\n+v\r\n~0\r\n"),
            ["Set"] = Of("~3\r\n:1\r\n:2\r\n:3\r\n"),
            ["EmptySet"] = Of("~0\r\n"),
            ["Push"] = Of(">3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$5\r\nhello\r\n"),
            ["PushWithNestedMap"] = Of(">2\r\n+pubsub\r\n%1\r\n+k\r\n*1\r\n$-1\r\n"),
            ["AttributeBeforeValue"] = Of("|1\r\n+ttl\r\n:10\r\n$3\r\nval\r\n"),
            ["AttributeBeforeAggregate"] = Of("|1\r\n+a\r\n+b\r\n*2\r\n:1\r\n:2\r\n"),
            ["EmptyAttribute"] = Of("|0\r\n:1\r\n"),
            ["AttributeInsideArray"] = Of("*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n"),
            ["TwoAttributes"] = Of("|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n:1\r\n"),
            ["AttributeWithAggregateValue"] = Of("|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n"),
            ["Null"] = Of("_\r\n"),
            ["Double"] = Of(",3.14\r\n"),
            ["DoubleNegativeInfinity"] = Of(",-inf\r\n"),
            ["BooleanTrue"] = Of("#t\r\n"),
            ["BooleanFalse"] = Of("#f\r\n"),
            ["BigNumber"] = Of("(3492890328409238509324850943850943825024385\r\n"),
            ["Verbatim"] = Of("=15\r\ntxt:Some string\r\n"),
            ["VerbatimWithCrLf"] = Of("=8\r\nmkd:a\r\nb\r\n"),
            ["BlobError"] = Of("!21\r\nSYNTAX invalid syntax\r\n"),
            ["ArrayOfEveryType"] = Of("*14\r\n+s\r\n-e\r\n:1\r\n$1\r\nb\r\n*0\r\n%0\r\n~0\r\n>0\r\n_\r\n,1.5\r\n#t\r\n(1\r\n=7\r\ntxt:abc\r\n!1\r\nE\r\n"),
            ["ArrayOfNullBulk"] = Of("*1\r\n$-1\r\n"),
            ["TenMegabyteBulk"] = Concat(Of(string.Create(CultureInfo.InvariantCulture, $"${tenMegabytes.Length}\r\n")), tenMegabytes, Of("\r\n")),
        };
    }
}
