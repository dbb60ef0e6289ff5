using CsCheck;
using RespProxy.Resp.Parsing;
using RespProxy.Resp.Tests.Framing;
using Xunit;
using static RespProxy.Resp.Tests.Framing.TestBytes;

namespace RespProxy.Resp.Tests.Parsing;

public class RequestParserPropertyTests
{
    private static readonly Gen<byte[][]> Arguments = RespGen.DataByte.Array[0, 300].Array[0, 20];

    [Fact]
    public void TryParse_RandomArgumentsRandomSegmentation_SameArgumentsAndExactFrame()
    {
        Gen.Select(Arguments, RespGen.SegmentPattern, RespGen.ReadPattern, Gen.Bool)
            .Sample(
                (arguments, segments, reads, allAtOnce) =>
                {
                    var encoded = Multibulk(arguments);
                    var run = ParserHarness.Run(encoded, Feeding.FromPatterns(encoded.Length, segments, reads, allAtOnce));

                    var expected = arguments.Length == 0 ? ParsedFrame.Skipped(encoded.Length) : ParsedFrame.MultibulkRequest(encoded, arguments);
                    Assert.Equal(ParserHarness.ExpectedText([expected], "NeedMoreData(remaining=0)"), ParserHarness.ToText(run));
                },
                iter: 1000);
    }

    [Fact]
    public void TryParse_RandomPipelinedRequests_EveryRequestExact()
    {
        Gen.Select(Arguments.Array[1, 4], RespGen.SegmentPattern, RespGen.ReadPattern, Gen.Bool)
            .Sample(
                (requests, segments, reads, allAtOnce) =>
                {
                    var encoded = requests.Select(arguments => Multibulk(arguments)).ToArray();
                    var stream = Concat(encoded);
                    var run = ParserHarness.Run(stream, Feeding.FromPatterns(stream.Length, segments, reads, allAtOnce));

                    var expected = requests.Select((arguments, i) =>
                        arguments.Length == 0 ? ParsedFrame.Skipped(encoded[i].Length) : ParsedFrame.MultibulkRequest(encoded[i], arguments));
                    Assert.Equal(ParserHarness.ExpectedText(expected, "NeedMoreData(remaining=0)"), ParserHarness.ToText(run));
                },
                iter: 300);
    }

    [Fact]
    public void TryParse_RandomInlineWords_SplitLikeSdssplitargs()
    {
        var word = Gen.Byte[(byte)'!', (byte)'~'].Where(value => value is not ((byte)'"' or (byte)'\'')).Array[1, 12];
        var separator = Gen.OneOf(Of(" "), Of("  "), Of("\t"), Of(" \t "));
        Gen.Select(word.Where(first => first[0] != (byte)'*').Array[1, 8], separator, Gen.OneOf(Of("\r\n"), Of("\n")), RespGen.SegmentPattern, RespGen.ReadPattern)
            .Sample(
                (words, gap, newline, segments, reads) =>
                {
                    var line = Concat(Concat(words.SelectMany((w, i) => i == 0 ? new[] { w } : new[] { gap, w }).ToArray()), newline);
                    var run = ParserHarness.Run(line, Feeding.FromPatterns(line.Length, segments, reads, allAtOnce: false));

                    var expected = ParsedFrame.InlineRequest(line.Length, words);
                    Assert.Equal(ParserHarness.ExpectedText([expected], "NeedMoreData(remaining=0)"), ParserHarness.ToText(run));
                },
                iter: 500);
    }

    [Fact]
    public void TryParse_RandomGarbage_NeverThrowsAndSameOutcomeForEverySegmentation()
    {
        Gen.Select(RespGen.ProtocolByte.Array[0, 300], RespGen.SegmentPattern, RespGen.ReadPattern, Gen.Bool)
            .Sample(
                (garbage, segments, reads, allAtOnce) =>
                {
                    // The driver fails on a consumed length outside (0, buffer length]; exceptions fail the sample.
                    string whole = ParserHarness.ToText(ParserHarness.Run(garbage, Feeding.Whole(garbage.Length)));
                    string split = ParserHarness.ToText(ParserHarness.Run(garbage, Feeding.FromPatterns(garbage.Length, segments, reads, allAtOnce)));

                    Assert.Equal(whole, split);
                },
                iter: 3000);
    }

    [Fact]
    public void TryParse_MutatedValidRequests_NeverThrowsAndSameOutcomeForEverySegmentation()
    {
        var request = Gen.Frequency(
            (3, (IGen<byte[]>)RespGen.DataByte.Array[0, 12].Array[1, 4].Select(arguments => Multibulk(arguments))),
            (1, Gen.OneOf(Of("SET \"a\\x41\" 'b c'\r\n"), Of("PING\r\n"), Of("*0\r\n"), Of("*-1\r\n"), Of("\r\n"))));
        Gen.Select(request.Array[1, 3], Gen.Select(Gen.Int[0, 2], Gen.Int, RespGen.ProtocolByte).Array[1, 3], RespGen.SegmentPattern, RespGen.ReadPattern, Gen.Bool)
            .Sample(
                (requests, mutations, segments, reads, allAtOnce) =>
                {
                    var stream = Mutations.Apply(Concat(requests), mutations);
                    string whole = ParserHarness.ToText(ParserHarness.Run(stream, Feeding.Whole(stream.Length)));
                    string split = ParserHarness.ToText(ParserHarness.Run(stream, Feeding.FromPatterns(stream.Length, segments, reads, allAtOnce)));

                    Assert.Equal(whole, split);
                },
                iter: 3000);
    }

    [Fact]
    public void TryParse_RandomGarbageWithSmallLimits_NeverThrows()
    {
        var limits = new ProtocolLimits { MaxBulkLength = 7, MaxInlineLength = 16, MaxMultibulkLength = 3 };
        Gen.Select(RespGen.ProtocolByte.Array[0, 120], RespGen.SegmentPattern, RespGen.ReadPattern, Gen.Bool)
            .Sample(
                (garbage, segments, reads, allAtOnce) =>
                {
                    string whole = ParserHarness.ToText(ParserHarness.Run(garbage, Feeding.Whole(garbage.Length), limits));
                    string split = ParserHarness.ToText(ParserHarness.Run(garbage, Feeding.FromPatterns(garbage.Length, segments, reads, allAtOnce), limits));

                    Assert.Equal(whole, split);
                },
                iter: 2000);
    }
}
