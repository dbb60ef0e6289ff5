using System.Buffers;
using System.Buffers.Text;

namespace RespProxy.Resp.Parsing;

/// <summary>
/// Inline requests ("SET a b\r\n" typed into telnet). They are split as Redis's sdssplitargs does (double quotes
/// with C escapes, single quotes) and re-encoded as multibulk, so the rest of the proxy sees one request shape.
/// </summary>
public sealed partial class RequestParser
{
    private byte[] _inlineLine = [];
    private byte[] _inlineFrame = [];
    private byte[] _inlineArguments = [];
    private int[] _inlineArgumentEnds = [];

    private RequestParseResult TryParseInline(in ReadOnlySequence<byte> buffer, out long consumed)
    {
        consumed = 0;
        var newline = buffer.Slice(_scanned).PositionOf((byte)'\n');
        if (newline is null)
        {
            _scanned = buffer.Length;
            if (buffer.Length > _limits.MaxInlineLength)
            {
                ResetFrame();
                return Fail(ProtocolError.TooBigInlineRequest);
            }

            return RequestParseResult.NeedMoreData;
        }

        long lineLength = buffer.Slice(0, newline.Value).Length;
        ResetFrame();
        if (lineLength > _limits.MaxInlineLength)
        {
            return Fail(ProtocolError.TooBigInlineRequest);
        }

        consumed = lineLength + 1;
        var line = Rent(ref _inlineLine, (int)lineLength);
        buffer.Slice(0, lineLength).CopyTo(line);
        int end = line.Length;
        if (end > 0 && line[end - 1] == (byte)'\r')
        {
            end--;
        }

        // sdssplitargs works on a C string: a NUL byte ends the line.
        int nul = line[..end].IndexOf((byte)0);
        if (nul >= 0)
        {
            end = nul;
        }

        if (!TrySplit(line[..end], out int count))
        {
            consumed = 0;
            return Fail(ProtocolError.UnbalancedQuotes);
        }

        if (count == 0)
        {
            return RequestParseResult.Skipped;
        }

        EncodeMultibulk(count);
        return RequestParseResult.Request;
    }

    private bool TrySplit(ReadOnlySpan<byte> line, out int count)
    {
        count = 0;
        int written = 0;
        var output = Rent(ref _inlineArguments, line.Length);
        int position = 0;
        while (true)
        {
            while (position < line.Length && IsSpace(line[position]))
            {
                position++;
            }

            if (position == line.Length)
            {
                return true;
            }

            bool inDouble = false;
            bool inSingle = false;
            bool done = false;
            while (!done)
            {
                if (inDouble)
                {
                    if (position == line.Length)
                    {
                        return false;
                    }

                    byte current = line[position];
                    if (current == (byte)'\\' && position + 3 < line.Length && line[position + 1] == (byte)'x'
                        && IsHex(line[position + 2]) && IsHex(line[position + 3]))
                    {
                        output[written++] = (byte)((HexValue(line[position + 2]) << 4) | HexValue(line[position + 3]));
                        position += 3;
                    }
                    else if (current == (byte)'\\' && position + 1 < line.Length)
                    {
                        position++;
                        output[written++] = line[position] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            var other => other,
                        };
                    }
                    else if (current == (byte)'"')
                    {
                        // The closing quote must be followed by a space or the end of the line.
                        if (position + 1 < line.Length && !IsSpace(line[position + 1]))
                        {
                            return false;
                        }

                        done = true;
                    }
                    else
                    {
                        output[written++] = current;
                    }
                }
                else if (inSingle)
                {
                    if (position == line.Length)
                    {
                        return false;
                    }

                    byte current = line[position];
                    if (current == (byte)'\\' && position + 1 < line.Length && line[position + 1] == (byte)'\'')
                    {
                        position++;
                        output[written++] = (byte)'\'';
                    }
                    else if (current == (byte)'\'')
                    {
                        if (position + 1 < line.Length && !IsSpace(line[position + 1]))
                        {
                            return false;
                        }

                        done = true;
                    }
                    else
                    {
                        output[written++] = current;
                    }
                }
                else if (position == line.Length)
                {
                    done = true;
                }
                else
                {
                    byte current = line[position];
                    switch (current)
                    {
                        case (byte)' ':
                        case (byte)'\n':
                        case (byte)'\r':
                        case (byte)'\t':
                            done = true;
                            break;
                        case (byte)'"':
                            inDouble = true;
                            break;
                        case (byte)'\'':
                            inSingle = true;
                            break;
                        default:
                            output[written++] = current;
                            break;
                    }
                }

                if (position < line.Length)
                {
                    position++;
                }
            }

            if (count == _inlineArgumentEnds.Length)
            {
                Array.Resize(ref _inlineArgumentEnds, Math.Max(8, count * 2));
            }

            _inlineArgumentEnds[count++] = written;
        }
    }

    private void EncodeMultibulk(int count)
    {
        var arguments = _inlineArguments.AsSpan();
        int bytesNeeded = 16 + (count * 16) + _inlineArgumentEnds[count - 1];
        var frame = Rent(ref _inlineFrame, bytesNeeded);
        int position = 0;
        Request.Begin(inline: true);
        WriteHeader(frame, ref position, (byte)'*', count);
        int start = 0;
        for (int i = 0; i < count; i++)
        {
            int length = _inlineArgumentEnds[i] - start;
            WriteHeader(frame, ref position, (byte)'$', length);
            Request.AddArgument(position, length);
            arguments.Slice(start, length).CopyTo(frame[position..]);
            position += length;
            frame[position++] = (byte)'\r';
            frame[position++] = (byte)'\n';
            start = _inlineArgumentEnds[i];
        }

        Request.Complete(new ReadOnlySequence<byte>(_inlineFrame, 0, position));
    }

    private static void WriteHeader(Span<byte> frame, ref int position, byte prefix, int value)
    {
        frame[position++] = prefix;
        Utf8Formatter.TryFormat(value, frame[position..], out int digits);
        position += digits;
        frame[position++] = (byte)'\r';
        frame[position++] = (byte)'\n';
    }

    private static Span<byte> Rent(ref byte[] storage, int length)
    {
        if (storage.Length < length)
        {
            storage = new byte[Math.Max(length, 256)];
        }

        return storage.AsSpan(0, length);
    }

    // isspace() in the C locale.
    private static bool IsSpace(byte value) => value is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static bool IsHex(byte value) => char.IsAsciiHexDigit((char)value);

    private static int HexValue(byte value) => value <= '9' ? value - '0' : (value | 0x20) - 'a' + 10;
}
