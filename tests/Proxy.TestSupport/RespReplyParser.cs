using System.Buffers.Text;
using System.Text;

namespace RespProxy.TestSupport;

/// <summary>
/// A deliberately small RESP2/RESP3 reply parser, written independently of the proxy's own parser so tests
/// do not share its bugs. It is all-or-nothing: either a complete value is in the buffer and is consumed, or
/// nothing is consumed and the caller reads more bytes. That keeps the client usable after a read timeout.
/// </summary>
internal static class RespReplyParser
{
    /// <summary>Parses one value from the start of <paramref name="buffer"/>; false when more bytes are needed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> buffer, out RespValue? value, out int consumed)
    {
        var position = 0;
        value = ParseValue(buffer, ref position);
        consumed = value is null ? 0 : position;
        return value is not null;
    }

    private static RespValue? ParseValue(ReadOnlySpan<byte> buffer, ref int position)
    {
        while (true)
        {
            if (!TryReadLine(buffer, ref position, out var type, out var line))
            {
                return null;
            }

            switch (type)
            {
                case '+' or '-' or ',' or '(':
                    return new RespValue(type, Decode(line), 0, null, null);
                case ':':
                    return new RespValue(type, null, ParseInteger(line, type), null, null);
                case '_':
                    return new RespValue(type, null, 0, null, null);
                case '#':
                    return ParseBoolean(line);
                case '$' or '=' or '!':
                    return ParseBlob(buffer, ref position, type, ParseInteger(line, type));
                case '*' or '~' or '>':
                    return ParseAggregate(buffer, ref position, type, ParseInteger(line, type), itemsPerEntry: 1);
                case '%':
                    return ParseAggregate(buffer, ref position, type, ParseInteger(line, type), itemsPerEntry: 2);
                case '|':
                    // Attributes are out-of-band metadata attached to the following reply; tests want the reply.
                    if (ParseAggregate(buffer, ref position, type, ParseInteger(line, type), itemsPerEntry: 2) is null)
                    {
                        return null;
                    }

                    continue;
                default:
                    throw new InvalidDataException($"Unknown RESP type byte '{type}' (0x{(int)type:X2}).");
            }
        }
    }

    private static RespValue ParseBoolean(ReadOnlySpan<byte> line) => line switch
    {
        [(byte)'t'] => new RespValue('#', "t", 1, null, null),
        [(byte)'f'] => new RespValue('#', "f", 0, null, null),
        _ => throw new InvalidDataException($"Invalid RESP3 boolean '#{Decode(line)}'."),
    };

    private static RespValue? ParseBlob(ReadOnlySpan<byte> buffer, ref int position, char type, long length)
    {
        if (length == -1 && type == '$')
        {
            return new RespValue(type, null, 0, null, null);
        }

        if (length < 0 || length > int.MaxValue - 2)
        {
            throw new InvalidDataException($"Invalid RESP length {length} for type '{type}'.");
        }

        var payloadLength = (int)length;
        if (buffer.Length - position < payloadLength + 2)
        {
            return null;
        }

        var payload = buffer.Slice(position, payloadLength).ToArray();
        if (buffer[position + payloadLength] != '\r' || buffer[position + payloadLength + 1] != '\n')
        {
            throw new InvalidDataException($"RESP '{type}' payload of {payloadLength} bytes is not followed by CRLF.");
        }

        position += payloadLength + 2;

        // Verbatim strings start with a three-letter format and a colon ("txt:"); Text is the content itself.
        var text = type == '=' && payload.Length >= 4 ? Decode(payload.AsSpan(4)) : Decode(payload);
        return new RespValue(type, text, 0, payload, null);
    }

    private static RespValue? ParseAggregate(ReadOnlySpan<byte> buffer, ref int position, char type, long count, int itemsPerEntry)
    {
        if (count == -1 && type == '*')
        {
            return new RespValue(type, null, 0, null, null);
        }

        if (count < 0 || count > int.MaxValue / itemsPerEntry)
        {
            throw new InvalidDataException($"Invalid RESP element count {count} for type '{type}'.");
        }

        var items = new RespValue[count * itemsPerEntry];
        for (var i = 0; i < items.Length; i++)
        {
            var item = ParseValue(buffer, ref position);
            if (item is null)
            {
                return null;
            }

            items[i] = item;
        }

        return new RespValue(type, null, 0, null, items);
    }

    /// <summary>Reads "&lt;type&gt;&lt;content&gt;\r\n" and advances past it; false when the CRLF has not arrived yet.</summary>
    private static bool TryReadLine(ReadOnlySpan<byte> buffer, ref int position, out char type, out ReadOnlySpan<byte> line)
    {
        type = '\0';
        line = default;
        var rest = buffer[position..];
        var lineFeed = rest.IndexOf((byte)'\n');
        if (lineFeed < 0)
        {
            return false;
        }

        if (lineFeed < 2 || rest[lineFeed - 1] != '\r')
        {
            throw new InvalidDataException($"Malformed RESP line: '{Decode(rest[..(lineFeed + 1)])}'.");
        }

        type = (char)rest[0];
        line = rest[1..(lineFeed - 1)];
        position += lineFeed + 1;
        return true;
    }

    private static long ParseInteger(ReadOnlySpan<byte> line, char type)
    {
        if (Utf8Parser.TryParse(line, out long number, out var used) && used == line.Length)
        {
            return number;
        }

        throw new InvalidDataException($"Invalid integer after RESP type '{type}': '{Decode(line)}'.");
    }

    // Lenient on purpose: binary payloads still get a (lossy) Text; exact bytes are in Bulk.
    private static string Decode(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
