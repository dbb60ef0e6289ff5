using System.Buffers;

namespace RespProxy.Topology.Cluster;

/// <summary>
/// Redis Cluster key hashing: CRC16 (XMODEM: polynomial 0x1021, initial 0) of the key, or of its hash tag (the bytes
/// between the first '{' and the next '}', when not empty), modulo 16384.
/// </summary>
public static class HashSlot
{
    public const int Count = 16384;

    private static readonly ushort[] s_table = BuildTable();

    public static int Of(ReadOnlySpan<byte> key) => Crc16(HashTag(key)) & (Count - 1);

    public static int Of(in ReadOnlySequence<byte> key)
    {
        if (key.IsSingleSegment)
        {
            return Of(key.FirstSpan);
        }

        const int StackLimit = 256;
        if (key.Length <= StackLimit)
        {
            Span<byte> copy = stackalloc byte[StackLimit];
            key.CopyTo(copy);
            return Of(copy[..(int)key.Length]);
        }

        var rented = ArrayPool<byte>.Shared.Rent((int)key.Length);
        try
        {
            key.CopyTo(rented);
            return Of(rented.AsSpan(0, (int)key.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal static ReadOnlySpan<byte> HashTag(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        if (open < 0)
        {
            return key;
        }

        int close = key[(open + 1)..].IndexOf((byte)'}');
        return close <= 0 ? key : key.Slice(open + 1, close);
    }

    internal static ushort Crc16(ReadOnlySpan<byte> bytes)
    {
        var table = s_table;
        ushort crc = 0;
        foreach (byte value in bytes)
        {
            crc = (ushort)((crc << 8) ^ table[((crc >> 8) ^ value) & 0xFF]);
        }

        return crc;
    }

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }

            table[i] = (ushort)crc;
        }

        return table;
    }
}
