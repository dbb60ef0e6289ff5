namespace RespProxy.LoadTests;

/// <summary>
/// Layout of the values written in --verify mode (fixed width, ASCII):
/// <c>v RRRRRRRR KKKKKKKKKKKK SSSS CCCCCC QQQQQQQQQQQQ ....</c> (no spaces) = 'v', run id (8 hex), key index
/// (12 digits), key slot inside the command (4), writer connection (6), writer sequence number (12), then '.'
/// padding up to the value size.
/// </summary>
public static class ValueFormat
{
    public const int RunOffset = 1, RunLen = 8;
    public const int KeyOffset = 9, KeyLen = 12;
    public const int SlotOffset = 21, SlotLen = 4;
    public const int ConnOffset = 25, ConnLen = 6;
    public const int SeqOffset = 31, SeqLen = 12;
    public const int MinSize = 43;
    public const byte Pad = (byte)'.';
    public const byte Filler = (byte)'x';   // plain (non-verify) values, like redis-benchmark

    /// <summary>Run id and padding: the part of a value that never changes within a run.</summary>
    public static void WriteConstant(Span<byte> value, uint runId)
    {
        value.Fill(Pad);
        value[0] = (byte)'v';
        for (int i = 0; i < RunLen; i++)
        {
            value[RunOffset + i] = (byte)"0123456789abcdef"[(int)(runId >> (28 - (4 * i))) & 0xF];
        }
    }

    public static void WriteFields(Span<byte> value, long key, int slot, int conn, long seq)
    {
        WriteDigits(value.Slice(KeyOffset, KeyLen), key);
        WriteDigits(value.Slice(SlotOffset, SlotLen), slot);
        WriteDigits(value.Slice(ConnOffset, ConnLen), conn);
        WriteDigits(value.Slice(SeqOffset, SeqLen), seq);
    }

    public enum Parse : byte { Ok, Malformed, ForeignRun }

    public static Parse TryRead(ReadOnlySpan<byte> value, int size, uint runId,
        out long key, out int slot, out int conn, out long seq)
    {
        key = seq = 0;
        slot = conn = 0;
        if (value.Length != size || value[0] != (byte)'v')
        {
            return Parse.Malformed;
        }
        if (!TryReadDigits(value.Slice(KeyOffset, KeyLen), out key)
            || !TryReadDigits(value.Slice(SlotOffset, SlotLen), out long s)
            || !TryReadDigits(value.Slice(ConnOffset, ConnLen), out long c)
            || !TryReadDigits(value.Slice(SeqOffset, SeqLen), out seq)
            || value[MinSize..].ContainsAnyExcept(Pad))
        {
            return Parse.Malformed;
        }
        slot = (int)s;
        conn = (int)c;
        for (int i = 0; i < RunLen; i++)
        {
            if (value[RunOffset + i] != (byte)"0123456789abcdef"[(int)(runId >> (28 - (4 * i))) & 0xF])
            {
                return Parse.ForeignRun;
            }
        }
        return Parse.Ok;
    }

    /// <summary>Fixed-width, zero-padded decimal; no allocation.</summary>
    public static void WriteDigits(Span<byte> dest, long value)
    {
        for (int i = dest.Length - 1; i >= 0; i--)
        {
            dest[i] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }
    }

    public static bool TryReadDigits(ReadOnlySpan<byte> src, out long value)
    {
        value = 0;
        foreach (byte b in src)
        {
            uint d = (uint)(b - '0');
            if (d > 9)
            {
                return false;
            }
            value = (value * 10) + d;
        }
        return true;
    }
}
