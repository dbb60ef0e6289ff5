namespace RespProxy.LoadTests;

public enum ReplyKind : byte { SimpleString, Error, Integer, Bulk, Null, Array }

/// <summary>One parsed reply. Start/Length locate the payload (simple string, error, bulk) in the parsed buffer.</summary>
public struct Reply
{
    public ReplyKind Kind;
    public long Integer;
    public int Start;
    public int Length;
    public int Count;
}

/// <summary>Allocation-free RESP2 reply parser (plus the RESP3 null '_'), for replies at the start of a buffer.</summary>
public static class ReplyReader
{
    public const int Incomplete = 0;
    public const int Invalid = -1;
    private const int MaxDepth = 8;
    private const int MaxBulk = 512 * 1024 * 1024;

    /// <summary>
    /// Parses one complete reply at the start of <paramref name="buf"/>. Returns the bytes it takes, 0 when more
    /// data is needed, -1 on a protocol error. Elements of a top-level array (as many as fit) go to
    /// <paramref name="elements"/>; nested arrays are checked and skipped.
    /// </summary>
    public static int TryRead(ReadOnlySpan<byte> buf, out Reply reply, Span<Reply> elements)
        => Read(buf, 0, out reply, elements, 0);

    private static int Read(ReadOnlySpan<byte> buf, int pos, out Reply r, Span<Reply> elements, int depth)
    {
        r = default;
        if (pos >= buf.Length)
        {
            return Incomplete;
        }
        byte type = buf[pos];
        int lineEnd = FindLineEnd(buf, pos + 1);
        if (lineEnd <= 0)
        {
            return lineEnd;
        }
        ReadOnlySpan<byte> line = buf[(pos + 1)..lineEnd];
        int next = lineEnd + 2;
        switch (type)
        {
            case (byte)'+':
            case (byte)'-':
                r.Kind = type == (byte)'+' ? ReplyKind.SimpleString : ReplyKind.Error;
                r.Start = pos + 1;
                r.Length = line.Length;
                return next;
            case (byte)':':
                r.Kind = ReplyKind.Integer;
                return TryParseInt(line, out r.Integer) ? next : Invalid;
            case (byte)'_':
                r.Kind = ReplyKind.Null;
                return line.Length == 0 ? next : Invalid;
            case (byte)'$':
                if (!TryParseInt(line, out long len) || len < -1 || len > MaxBulk)
                {
                    return Invalid;
                }
                if (len == -1)
                {
                    r.Kind = ReplyKind.Null;
                    return next;
                }
                if (buf.Length < next + len + 2)
                {
                    return Incomplete;
                }
                if (buf[next + (int)len] != (byte)'\r' || buf[next + (int)len + 1] != (byte)'\n')
                {
                    return Invalid;
                }
                r.Kind = ReplyKind.Bulk;
                r.Start = next;
                r.Length = (int)len;
                return next + (int)len + 2;
            case (byte)'*':
                if (!TryParseInt(line, out long count) || count < -1 || count > int.MaxValue || depth >= MaxDepth)
                {
                    return Invalid;
                }
                if (count == -1)
                {
                    r.Kind = ReplyKind.Null;
                    return next;
                }
                r.Kind = ReplyKind.Array;
                r.Count = (int)count;
                for (int i = 0; i < count; i++)
                {
                    next = i < elements.Length
                        ? Read(buf, next, out elements[i], [], depth + 1)
                        : Read(buf, next, out _, [], depth + 1);
                    if (next <= 0)
                    {
                        return next;
                    }
                }
                return next;
            default:
                return Invalid;
        }
    }

    /// <summary>Index of the '\r' of the CRLF ending the line that starts at from; 0 if incomplete, -1 if invalid.</summary>
    private static int FindLineEnd(ReadOnlySpan<byte> buf, int from)
    {
        int cr = buf[from..].IndexOf((byte)'\r');
        if (cr < 0)
        {
            return buf.Length - from > 64 * 1024 ? Invalid : Incomplete;
        }
        cr += from;
        if (cr + 1 >= buf.Length)
        {
            return Incomplete;
        }
        return buf[cr + 1] == (byte)'\n' ? cr : Invalid;
    }

    private static bool TryParseInt(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        bool neg = s.Length > 0 && s[0] == (byte)'-';
        if (neg)
        {
            s = s[1..];
        }
        if (s.Length is 0 or > 18)
        {
            return false;
        }
        foreach (byte b in s)
        {
            uint d = (uint)(b - '0');
            if (d > 9)
            {
                return false;
            }
            value = (value * 10) + d;
        }
        if (neg)
        {
            value = -value;
        }
        return true;
    }
}
