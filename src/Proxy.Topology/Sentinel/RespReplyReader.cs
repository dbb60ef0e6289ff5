using System.Globalization;
using System.Text;

namespace RespProxy.Topology.Sentinel;

/// <summary>
/// Decodes one complete RESP2/RESP3 frame (its end already found by <see cref="Resp.Framing.RespFrameScanner"/>)
/// into a <see cref="RespReply"/>. Anything malformed throws <see cref="InvalidDataException"/>: the caller drops the
/// connection, it never guesses.
/// </summary>
internal static class RespReplyReader
{
    private const int MaxDepth = 16;

    public static RespReply Read(ReadOnlySpan<byte> frame)
    {
        int index = 0;
        var reply = ReadValue(frame, ref index, depth: 0);
        if (index != frame.Length)
        {
            throw new InvalidDataException($"RESP frame has {frame.Length - index} trailing bytes.");
        }

        return reply;
    }

    private static RespReply ReadValue(ReadOnlySpan<byte> frame, ref int index, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException($"RESP reply nests deeper than {MaxDepth} levels.");
        }

        if (index >= frame.Length)
        {
            throw new InvalidDataException("RESP frame ended early.");
        }

        byte type = frame[index++];
        switch (type)
        {
            case (byte)'+':
            case (byte)',':
            case (byte)'(':
                return RespReply.FromText(ReadLine(frame, ref index));
            case (byte)'-':
                return RespReply.FromError(ReadLine(frame, ref index));
            case (byte)':':
                return RespReply.FromInteger(ParseNumber(ReadLine(frame, ref index)));
            case (byte)'#':
                return RespReply.FromInteger(ReadLine(frame, ref index) == "t" ? 1 : 0);
            case (byte)'_':
                ReadLine(frame, ref index);
                return RespReply.Nil;
            case (byte)'$':
            case (byte)'=':
            case (byte)'!':
                return ReadBulk(frame, ref index, type);
            case (byte)'*':
            case (byte)'~':
            case (byte)'>':
                return ReadAggregate(frame, ref index, depth, pairs: false);
            case (byte)'%':
                return ReadAggregate(frame, ref index, depth, pairs: true);
            case (byte)'|':
                // An attribute only decorates the value that follows; the watcher has no use for it.
                ReadAggregate(frame, ref index, depth, pairs: true);
                return ReadValue(frame, ref index, depth);
            default:
                throw new InvalidDataException($"Unknown RESP type byte 0x{type:x2}.");
        }
    }

    private static RespReply ReadBulk(ReadOnlySpan<byte> frame, ref int index, byte type)
    {
        long length = ParseNumber(ReadLine(frame, ref index));
        if (length == -1)
        {
            return RespReply.Nil;
        }

        if (length < 0 || length > frame.Length - index - 2)
        {
            throw new InvalidDataException($"RESP bulk length {length} does not fit the frame.");
        }

        var payload = frame.Slice(index, (int)length);
        index += (int)length + 2;
        if (type == (byte)'=' && payload.Length >= 4 && payload[3] == (byte)':')
        {
            payload = payload[4..]; // verbatim string: drop the "txt:" format prefix
        }

        string text = Encoding.UTF8.GetString(payload);
        return type == (byte)'!' ? RespReply.FromError(text) : RespReply.FromText(text);
    }

    private static RespReply ReadAggregate(ReadOnlySpan<byte> frame, ref int index, int depth, bool pairs)
    {
        long count = ParseNumber(ReadLine(frame, ref index));
        if (count == -1)
        {
            return RespReply.Nil;
        }

        if (pairs)
        {
            count *= 2;
        }

        // Every element takes at least 3 bytes, so a count beyond that is a lie; checking it bounds the allocation.
        if (count < 0 || count > (frame.Length - index) / 3)
        {
            throw new InvalidDataException($"RESP aggregate of {count} elements does not fit the frame.");
        }

        var items = new RespReply[count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = ReadValue(frame, ref index, depth + 1);
        }

        return RespReply.FromArray(items);
    }

    private static string ReadLine(ReadOnlySpan<byte> frame, ref int index)
    {
        int end = frame[index..].IndexOf("\r\n"u8);
        if (end < 0)
        {
            throw new InvalidDataException("RESP line is not terminated by CRLF.");
        }

        string line = Encoding.UTF8.GetString(frame.Slice(index, end));
        index += end + 2;
        return line;
    }

    private static long ParseNumber(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new InvalidDataException($"'{text}' is not a RESP number.");
}
