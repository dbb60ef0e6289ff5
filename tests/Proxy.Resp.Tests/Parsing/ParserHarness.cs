using System.Buffers;
using RespProxy.Resp.Parsing;
using RespProxy.Resp.Tests.Framing;
using Xunit;

namespace RespProxy.Resp.Tests.Parsing;

/// <summary>One outcome of <see cref="RequestParser.TryParse"/>, copied out before the parser reuses its request.</summary>
internal sealed record ParsedFrame(
    RequestParseResult Result,
    long Length,
    bool WasInline,
    byte[][] Arguments,
    byte[] Frame,
    ProtocolError Error,
    string ErrorText)
{
    public static ParsedFrame MultibulkRequest(byte[] frame, params byte[][] arguments) =>
        new(RequestParseResult.Request, frame.Length, false, arguments, frame, ProtocolError.None, "");

    public static ParsedFrame MultibulkRequest(byte[] frame, params string[] arguments) =>
        MultibulkRequest(frame, arguments.Select(TestBytes.Of).ToArray());

    /// <summary>An inline request consuming <paramref name="lineLength"/> bytes (newline included), forwarded re-encoded.</summary>
    public static ParsedFrame InlineRequest(int lineLength, params byte[][] arguments) =>
        new(RequestParseResult.Request, lineLength, true, arguments, TestBytes.Multibulk(arguments), ProtocolError.None, "");

    public static ParsedFrame InlineRequest(int lineLength, params string[] arguments) =>
        InlineRequest(lineLength, arguments.Select(TestBytes.Of).ToArray());

    public static ParsedFrame Skipped(int length) =>
        new(RequestParseResult.Skipped, length, false, [], [], ProtocolError.None, "");

    public static ParsedFrame Failure(ProtocolError error, string text) =>
        new(RequestParseResult.Error, 0, false, [], [], error, text);

    public string ToText() => Result switch
    {
        RequestParseResult.Request =>
            $"Request(length={Length}, inline={WasInline}, args[{Arguments.Length}]=[{string.Join(", ", Arguments.Select(argument => TestBytes.Describe(argument)))}], frame={TestBytes.Describe(Frame)})",
        RequestParseResult.Skipped => $"Skipped(length={Length})",
        RequestParseResult.Error => $"Error({Error}: {ErrorText})",
        _ => $"Unexpected({Result})",
    };
}

internal static class ParserHarness
{
    public static FeedRun<ParsedFrame> Run(byte[] stream, Feeding feeding, ProtocolLimits? limits = null)
    {
        var parser = new RequestParser(limits);
        return FeedDriver.Run(stream, feeding, buffer => Step(parser, buffer));
    }

    /// <summary>One TryParse call, checking the out-parameter contract and copying the request out.</summary>
    public static StepOutcome<ParsedFrame> Step(RequestParser parser, ReadOnlySequence<byte> buffer)
    {
        var result = parser.TryParse(buffer, out long consumed);
        switch (result)
        {
            case RequestParseResult.NeedMoreData:
                Ensure(consumed == 0, $"NeedMoreData with consumed={consumed}");
                return new(StepKind.NeedMoreData, 0, null);

            case RequestParseResult.Request:
                var request = parser.Request;
                var arguments = new byte[request.ArgumentCount][];
                for (int i = 0; i < arguments.Length; i++)
                {
                    arguments[i] = request.GetArgument(i).ToArray();
                    Ensure(arguments[i].Length == request.GetArgumentLength(i), "GetArgumentLength disagrees with GetArgument");
                }

                var frame = new ParsedFrame(result, consumed, request.WasInline, arguments, request.Frame.ToArray(), ProtocolError.None, "");
                return new(StepKind.Frame, consumed, frame);

            case RequestParseResult.Skipped:
                return new(StepKind.Frame, consumed, ParsedFrame.Skipped(checked((int)consumed)));

            case RequestParseResult.Error:
                Ensure(consumed == 0, $"Error with consumed={consumed}");
                Ensure(parser.Error != ProtocolError.None, "Error result with Error == None");
                var failure = ParsedFrame.Failure(parser.Error, ProtocolErrors.Describe(parser.Error, parser.ErrorByte));
                return new(StepKind.Stop, 0, failure);

            default:
                throw new InvalidOperationException($"unknown result {result}");
        }
    }

    public static string ToText(FeedRun<ParsedFrame> run)
    {
        var lines = run.Frames.Select(frame => frame.ToText()).ToList();
        lines.Add(run.FinalKind switch
        {
            StepKind.NeedMoreData => $"NeedMoreData(remaining={run.Remaining})",
            StepKind.Stop => run.Stop!.ToText(),
            _ => $"Stopped after {run.Frames.Count} frames (remaining={run.Remaining})",
        });
        return string.Join('\n', lines);
    }

    public static string ExpectedText(IEnumerable<ParsedFrame> frames, string final) =>
        string.Join('\n', frames.Select(frame => frame.ToText()).Append(final));

    /// <summary>
    /// Parses <paramref name="stream"/> in every feeding mode and returns one line per mode whose outcome differs
    /// from <paramref name="expected"/> (or that threw).
    /// </summary>
    public static List<string> CheckAllFeedings(byte[] stream, string expected, ProtocolLimits? limits = null, IEnumerable<Feeding>? feedings = null)
    {
        var failures = new List<string>();
        foreach (var feeding in feedings ?? Feeding.All(stream.Length))
        {
            string actual;
            try
            {
                actual = ToText(Run(stream, feeding, limits));
            }
            catch (Exception exception)
            {
                actual = $"threw {exception.GetType().Name}: {exception.Message}";
            }

            if (actual != expected)
            {
                failures.Add($"[{feeding}]\n  expected: {expected.Replace("\n", "\n            ", StringComparison.Ordinal)}\n  actual:   {actual.Replace("\n", "\n            ", StringComparison.Ordinal)}");
            }
        }

        return failures;
    }

    public static void AssertNoFailures(List<string> failures)
    {
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
