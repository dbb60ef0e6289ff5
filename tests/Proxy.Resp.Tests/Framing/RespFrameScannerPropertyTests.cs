using CsCheck;
using RespProxy.Resp.Framing;
using Xunit;
using static RespProxy.Resp.Tests.Framing.TestBytes;

namespace RespProxy.Resp.Tests.Framing;

public class RespFrameScannerPropertyTests
{
    [Fact]
    public void TryScan_RandomReplyWithSuffix_ExactFrameLengthUnderRandomSegmentation()
    {
        Gen.Select(RespGen.Reply(4), Gen.Byte.Array[0, 16], RespGen.SegmentPattern, RespGen.ReadPattern, Gen.Bool)
            .Sample(
                (reply, suffix, segments, reads, allAtOnce) =>
                {
                    var stream = Concat(reply, suffix);
                    var feeding = Feeding.FromPatterns(stream.Length, segments, reads, allAtOnce);

                    var run = ScannerHarness.Run(stream, feeding, maxFrames: 1);

                    Assert.Equal($"Frame(length={reply.Length})", ScannerHarness.ToText(run).Split('\n')[0]);
                },
                iter: 2000);
    }

    [Fact]
    public void TryScan_RandomPipelinedReplies_EveryFrameExact()
    {
        Gen.Select(RespGen.Reply(3).Array[1, 6], RespGen.SegmentPattern, RespGen.ReadPattern, Gen.Bool)
            .Sample(
                (replies, segments, reads, allAtOnce) =>
                {
                    var stream = Concat(replies);
                    var run = ScannerHarness.Run(stream, Feeding.FromPatterns(stream.Length, segments, reads, allAtOnce));

                    Assert.Equal(
                        ScannerHarness.ExpectedText(replies.Select(reply => (long)reply.Length), "NeedMoreData(remaining=0)"),
                        ScannerHarness.ToText(run));
                },
                iter: 1000);
    }

    [Fact]
    public void TryScan_RandomGarbage_NeverThrowsAndSameOutcomeForEverySegmentation()
    {
        Gen.Select(RespGen.ProtocolByte.Array[0, 200], RespGen.SegmentPattern, RespGen.ReadPattern, Gen.Bool)
            .Sample(
                (garbage, segments, reads, allAtOnce) =>
                {
                    // The driver fails on any frame length outside (0, buffer length]; exceptions fail the sample.
                    string whole = ScannerHarness.ToText(ScannerHarness.Run(garbage, Feeding.Whole(garbage.Length)));
                    string split = ScannerHarness.ToText(ScannerHarness.Run(garbage, Feeding.FromPatterns(garbage.Length, segments, reads, allAtOnce)));

                    Assert.Equal(whole, split);
                },
                iter: 3000);
    }

    [Fact]
    public void TryScan_MutatedValidReply_NeverThrowsAndSameOutcomeForEverySegmentation()
    {
        Gen.Select(RespGen.Reply(3), Gen.Select(Gen.Int[0, 2], Gen.Int, RespGen.ProtocolByte).Array[1, 4], RespGen.SegmentPattern, RespGen.ReadPattern, Gen.Bool)
            .Sample(
                (reply, mutations, segments, reads, allAtOnce) =>
                {
                    var stream = Mutations.Apply(reply, mutations);
                    string whole = ScannerHarness.ToText(ScannerHarness.Run(stream, Feeding.Whole(stream.Length)));
                    string split = ScannerHarness.ToText(ScannerHarness.Run(stream, Feeding.FromPatterns(stream.Length, segments, reads, allAtOnce)));

                    Assert.Equal(whole, split);
                },
                iter: 3000);
    }

    [Fact]
    public void TryMeasureWholeLeaf_AgreesWithTheStateMachineOnValidAndMutatedReplies()
    {
        Gen.Select(RespGen.Reply(2), Gen.Select(Gen.Int[0, 2], Gen.Int, RespGen.ProtocolByte).Array[0, 3], Gen.Byte.Array[0, 8])
            .Sample(
                (reply, mutations, suffix) =>
                {
                    var stream = Concat(Mutations.Apply(reply, mutations), suffix);
                    if (!RespFrameScanner.TryMeasureWholeLeaf(stream, out int length))
                    {
                        return;
                    }

                    // One byte per segment: the shortcut cannot apply, so this is the state machine's own verdict.
                    string expected = $"Frame(length={length})";
                    string actual = ScannerHarness.ToText(ScannerHarness.Run(stream, Feeding.OneBytePerSegment(stream.Length), maxFrames: 1)).Split('\n')[0];
                    Assert.Equal(expected, actual);
                },
                iter: 5000);
    }
}

internal static class Mutations
{
    /// <summary>Applies (kind 0 = replace, 1 = insert, 2 = delete; position; byte) edits to a copy of the input.</summary>
    public static byte[] Apply(byte[] input, (int Kind, int Position, byte Value)[] mutations)
    {
        var bytes = input.ToList();
        foreach (var (kind, position, value) in mutations)
        {
            int at = bytes.Count == 0 ? 0 : (int)((uint)position % (uint)bytes.Count);
            switch (kind)
            {
                case 0 when bytes.Count > 0:
                    bytes[at] = value;
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                default:
                    bytes.Insert(at, value);
                    break;
            }
        }

        return [.. bytes];
    }
}
