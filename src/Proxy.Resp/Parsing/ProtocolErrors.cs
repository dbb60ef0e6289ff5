using System.Buffers;
using System.Text;

namespace RespProxy.Resp.Parsing;

/// <summary>
/// The error replies for protocol errors, in Redis's own words (networking.c), ready to write. After writing one the
/// connection is closed, as Redis does.
/// </summary>
public static class ProtocolErrors
{
    public static ReadOnlySpan<byte> InvalidMultibulkLength => "-ERR Protocol error: invalid multibulk length\r\n"u8;

    public static ReadOnlySpan<byte> InvalidBulkLength => "-ERR Protocol error: invalid bulk length\r\n"u8;

    public static ReadOnlySpan<byte> TooBigInlineRequest => "-ERR Protocol error: too big inline request\r\n"u8;

    public static ReadOnlySpan<byte> UnbalancedQuotes => "-ERR Protocol error: unbalanced quotes in request\r\n"u8;

    // Redis skips the two bytes after a bulk argument unchecked; a proxy that multiplexes many clients onto one
    // backend connection must not, or the backend's framing and ours could disagree.
    public static ReadOnlySpan<byte> MissingBulkTerminator => "-ERR Protocol error: expected '\\r\\n' after bulk argument\r\n"u8;

    /// <summary>Writes the reply for <paramref name="error"/>; <paramref name="offendingByte"/> is used by ExpectedDollar.</summary>
    public static void Write(IBufferWriter<byte> output, ProtocolError error, byte offendingByte)
    {
        switch (error)
        {
            case ProtocolError.InvalidMultibulkLength:
                output.Write(InvalidMultibulkLength);
                break;
            case ProtocolError.InvalidBulkLength:
                output.Write(InvalidBulkLength);
                break;
            case ProtocolError.TooBigInlineRequest:
                output.Write(TooBigInlineRequest);
                break;
            case ProtocolError.UnbalancedQuotes:
                output.Write(UnbalancedQuotes);
                break;
            case ProtocolError.MissingBulkTerminator:
                output.Write(MissingBulkTerminator);
                break;
            case ProtocolError.ExpectedDollar:
                output.Write("-ERR Protocol error: expected '$', got '"u8);
                output.Write([offendingByte]);
                output.Write("'\r\n"u8);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(error));
        }
    }

    /// <summary>The reply text without the leading '-' and trailing CRLF, for logs and tests.</summary>
    public static string Describe(ProtocolError error, byte offendingByte)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, error, offendingByte);
        var text = Encoding.Latin1.GetString(buffer.WrittenSpan);
        return text[1..^2];
    }
}
