namespace RespProxy.LoadTests;

/// <summary>
/// Test aid for --inject-fault-every / --self-test: damages a parsed reply in place the way a buggy proxy could
/// (one flipped bit in a value, a wrong status text, an off-by-some integer), so the checker must catch it.
/// </summary>
public static class FaultInjector
{
    /// <summary>Corrupts the reply; false if it has nothing to corrupt (nil, or an MGET of nils only).</summary>
    public static bool Corrupt(Span<byte> buf, ref Reply reply, Span<Reply> elements, long salt)
    {
        switch (reply.Kind)
        {
            case ReplyKind.SimpleString when reply.Length > 0:
                buf[reply.Start] ^= 0x20;   // "OK" -> "oK", "PONG" -> "pONG"
                return true;
            case ReplyKind.Integer:
                reply.Integer += 1 + (salt % 3);
                return true;
            case ReplyKind.Bulk when reply.Length > 0:
                FlipBit(buf, reply, salt);
                return true;
            case ReplyKind.Array:
                for (int i = 0; i < Math.Min(reply.Count, elements.Length); i++)
                {
                    if (elements[i].Kind == ReplyKind.Bulk && elements[i].Length > 0)
                    {
                        FlipBit(buf, elements[i], salt);
                        return true;
                    }
                }
                return false;
            default:
                return false;
        }
    }

    private static void FlipBit(Span<byte> buf, in Reply r, long salt) =>
        buf[r.Start + (int)(salt % Math.Min(r.Length, ValueFormat.MinSize + 1))] ^= 0x01;
}
