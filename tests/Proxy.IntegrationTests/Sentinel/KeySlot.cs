using System.Globalization;
using System.Text;
using RespProxy.Topology.Model;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>
/// The test's own Redis Cluster key slot: CRC16-XMODEM (poly 0x1021, init 0) of the key, or of its {hash tag}, mod
/// 16384. Written independently of the proxy's implementation so the tests check it rather than reuse it.
/// </summary>
internal static class KeySlot
{
    public static int Of(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        int open = Array.IndexOf(bytes, (byte)'{');
        if (open >= 0)
        {
            int close = Array.IndexOf(bytes, (byte)'}', open + 1);
            if (close > open + 1)
            {
                bytes = bytes[(open + 1)..close];
            }
        }

        return Crc16(bytes) % 16384;
    }

    public static ushort Crc16(ReadOnlySpan<byte> data)
    {
        int crc = 0;
        foreach (byte value in data)
        {
            crc ^= value << 8;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }

        return (ushort)crc;
    }

    /// <summary>The first key "<paramref name="prefix"/>N" whose slot lies in <paramref name="slots"/> ("0-8191").</summary>
    public static string FindKey(string prefix, string slots) => FindKeys(prefix, slots, 1)[0];

    public static string[] FindKeys(string prefix, string slots, int count)
    {
        var ranges = SlotRange.ParseList(slots);
        var keys = new List<string>(count);
        for (int i = 0; keys.Count < count; i++)
        {
            var key = prefix + i.ToString(CultureInfo.InvariantCulture);
            int slot = Of(key);
            if (ranges.Any(range => slot >= range.Start && slot <= range.End))
            {
                keys.Add(key);
            }
        }

        return [.. keys];
    }
}
