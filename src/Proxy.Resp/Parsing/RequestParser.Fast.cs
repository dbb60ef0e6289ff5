using System.Buffers;

namespace RespProxy.Resp.Parsing;

/// <summary>
/// The common case in one pass: a well-formed multibulk request whose bytes all sit in the buffer's first segment.
/// Anything else (a split frame, a sign, a leading zero, a limit reached, a malformed byte) is left to the resumable
/// state machine, which gives the exact answer; this path only ever accepts what that one accepts.
/// </summary>
public sealed partial class RequestParser
{
    private bool TryParseWhole(in ReadOnlySequence<byte> buffer, out long consumed)
    {
        consumed = 0;
        var span = buffer.FirstSpan;
        int position = 1;
        if (!TryReadLength(span, ref position, _limits.MaxMultibulkLength, out long count) || count == 0)
        {
            return false;
        }

        Request.Begin(inline: false);
        for (long i = 0; i < count; i++)
        {
            if (position >= span.Length || span[position] != (byte)'$')
            {
                return false;
            }

            position++;
            if (!TryReadLength(span, ref position, _limits.MaxBulkLength, out long length)
                || span.Length - position < length + 2
                || span[position + (int)length] != (byte)'\r'
                || span[position + (int)length + 1] != (byte)'\n')
            {
                return false;
            }

            Request.AddArgument(position, (int)length);
            position += (int)length + 2;
        }

        consumed = position;
        Request.Complete(buffer.Slice(0, position));
        return true;
    }

    // Digits then CRLF, as string2ll accepts them for a non-negative number: no sign, no leading zero.
    private static bool TryReadLength(ReadOnlySpan<byte> span, ref int position, long max, out long value)
    {
        value = 0;
        int start = position;
        while (position < span.Length && span[position] - (uint)'0' <= 9)
        {
            value = (value * 10) + (span[position] - '0');
            if (value > max || position - start >= MaxDigits)
            {
                return false;
            }

            position++;
        }

        int digits = position - start;
        if (digits == 0 || (digits > 1 && span[start] == (byte)'0') || span.Length - position < 2
            || span[position] != (byte)'\r' || span[position + 1] != (byte)'\n')
        {
            return false;
        }

        position += 2;
        return true;
    }
}
