using System.Buffers;
using RespProxy.Resp.Framing;
using Xunit;

namespace RespProxy.Resp.Tests.Framing;

internal static class ScannerHarness
{
    public static FeedRun<long> Run(byte[] stream, Feeding feeding, int maxFrames = int.MaxValue)
    {
        var scanner = new RespFrameScanner();
        return FeedDriver.Run(stream, feeding, buffer => Step(ref scanner, buffer), maxFrames);
    }

    /// <summary>One TryScan call, checking the out-parameter and Scanned contracts.</summary>
    public static StepOutcome<long> Step(ref RespFrameScanner scanner, ReadOnlySequence<byte> buffer)
    {
        var result = scanner.TryScan(buffer, out long frameLength);
        switch (result)
        {
            case ScanResult.NeedMoreData:
                Ensure(frameLength == 0, $"NeedMoreData with frameLength={frameLength}");
                Ensure(scanner.Scanned == buffer.Length, $"NeedMoreData after examining {scanner.Scanned} of {buffer.Length} bytes");
                return new(StepKind.NeedMoreData, 0, 0);

            case ScanResult.Complete:
                Ensure(scanner.Scanned == 0, "scanner not reset after Complete");
                return new(StepKind.Frame, frameLength, frameLength);

            case ScanResult.Invalid:
                Ensure(frameLength == 0, $"Invalid with frameLength={frameLength}");
                return new(StepKind.Stop, 0, -1);

            default:
                throw new InvalidOperationException($"unknown result {result}");
        }
    }

    public static string ToText(FeedRun<long> run)
    {
        var lines = run.Frames.Select(length => $"Frame(length={length})").ToList();
        lines.Add(run.FinalKind switch
        {
            StepKind.NeedMoreData => $"NeedMoreData(remaining={run.Remaining})",
            StepKind.Stop => "Invalid",
            _ => $"Stopped after {run.Frames.Count} frames (remaining={run.Remaining})",
        });
        return string.Join('\n', lines);
    }

    public static string ExpectedText(IEnumerable<long> frameLengths, string final) =>
        string.Join('\n', frameLengths.Select(length => $"Frame(length={length})").Append(final));

    public static void AssertAllFeedings(byte[] stream, string expected, IEnumerable<Feeding>? feedings = null)
    {
        var failures = new List<string>();
        foreach (var feeding in feedings ?? Feeding.All(stream.Length))
        {
            string actual;
            try
            {
                actual = ToText(Run(stream, feeding));
            }
            catch (Exception exception)
            {
                actual = $"threw {exception.GetType().Name}: {exception.Message}";
            }

            if (actual != expected)
            {
                failures.Add($"[{feeding}]\n  expected: {expected.Replace("\n", " | ", StringComparison.Ordinal)}\n  actual:   {actual.Replace("\n", " | ", StringComparison.Ordinal)}");
            }
        }

        if (failures.Count > 0)
        {
            Assert.Fail($"{failures.Count} feeding mode(s) failed; first ones:\n{string.Join("\n", failures.Take(8))}");
        }
    }

    private static void Ensure(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
