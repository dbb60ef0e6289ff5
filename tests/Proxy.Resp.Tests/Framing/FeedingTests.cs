using System.Buffers;
using RespProxy.Resp.Tests.Parsing;
using Xunit;
using static RespProxy.Resp.Tests.Framing.TestBytes;

namespace RespProxy.Resp.Tests.Framing;

/// <summary>The test helpers themselves: segmented sequences and feeding modes deliver exactly the stream.</summary>
public class FeedingTests
{
    [Fact]
    public void SegmentedSequenceCreate_SeveralSegments_SameBytesAndSegmentCount()
    {
        var sequence = SegmentedSequence.Create(Of("ab"), ReadOnlyMemory<byte>.Empty, Of("c"), Of("def"));

        Assert.Equal("abcdef"u8.ToArray(), sequence.ToArray());
        Assert.False(sequence.IsSingleSegment);
        Assert.Equal(4, CountSegments(sequence));
        Assert.Equal(3, sequence.Slice(3).FirstSpan.Length);
    }

    [Fact]
    public void SegmentedSequenceSplit_CutOffsets_SegmentsAtCuts()
    {
        var sequence = SegmentedSequence.Split(Of("abcdef"), 1, 1, 4);

        Assert.Equal("abcdef"u8.ToArray(), sequence.ToArray());
        Assert.Equal([1, 0, 3, 2], Segments(sequence).Select(segment => segment.Length));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(37)]
    [InlineData(5000)]
    public void FeedingAll_EveryMode_DeliversGrowingPrefixesOfTheStream(int length)
    {
        var payload = Noise(length, length);
        foreach (var feeding in Feeding.All(length))
        {
            Assert.Equal(length, feeding.SegmentLengths.Sum());
            Assert.Equal(length, feeding.Deliveries[^1]);
            var chain = new SegmentChain(payload, feeding.SegmentLengths);
            long previous = 0;
            foreach (long available in feeding.Deliveries)
            {
                Assert.True(available > previous, $"[{feeding}] deliveries must grow");
                var prefix = chain.Prefix(available);
                Assert.Equal(available, prefix.Length);
                Assert.True(prefix.FirstSpan.Length > 0, $"[{feeding}] first segment must not be empty");
                if (available == length || available < 64)
                {
                    Assert.Equal(payload.AsSpan(0, (int)available).ToArray(), prefix.ToArray());
                }

                previous = available;
            }
        }
    }

    [Fact]
    public void FeedingAll_SmallPayload_SplitsAtEveryInnerOffset()
    {
        var names = Feeding.All(5).Select(feeding => feeding.Name).ToHashSet();

        foreach (int offset in new[] { 1, 2, 3, 4 })
        {
            Assert.Contains($"split@{offset}", names);
            Assert.Contains($"two-reads@{offset}", names);
        }

        Assert.Contains("whole", names);
        Assert.Contains("one-byte-per-segment", names);
        Assert.Contains("byte-at-a-time", names);
        Assert.Contains("byte-at-a-time-segmented", names);
    }

    [Fact]
    public void FeedDriver_ByteAtATime_CallsOncePerByteUntilComplete()
    {
        var payload = Multibulk("GET", "k");
        var run = ParserHarness.Run(payload, Feeding.ByteAtATime(payload.Length));

        Assert.Single(run.Frames);
        Assert.Equal(payload.Length + 1, run.Calls);
    }

    [Fact]
    public void CheckAllFeedings_WrongExpectation_ReportsEveryMode()
    {
        var payload = Multibulk("GET", "k");

        var failures = ParserHarness.CheckAllFeedings(payload, "not what happens");

        Assert.Equal(Feeding.All(payload.Length).Count(), failures.Count);
    }

    private static int CountSegments(ReadOnlySequence<byte> sequence) => Segments(sequence).Count;

    private static List<ReadOnlyMemory<byte>> Segments(ReadOnlySequence<byte> sequence)
    {
        var segments = new List<ReadOnlyMemory<byte>>();
        foreach (var memory in sequence)
        {
            segments.Add(memory);
        }

        return segments;
    }
}
