using System.Globalization;
using CsCheck;
using static RespProxy.Resp.Tests.Framing.TestBytes;

namespace RespProxy.Resp.Tests.Framing;

/// <summary>CsCheck generators for protocol bytes, RESP2/RESP3 replies and feeding patterns.</summary>
internal static class RespGen
{
    private static readonly byte[] Crlf = Of("\r\n");

    /// <summary>Any byte, with CR, LF and NUL much more likely than chance.</summary>
    public static readonly Gen<byte> DataByte = Gen.Frequency(
        (4, (IGen<byte>)Gen.Byte),
        (1, Gen.OneOf((byte)'\r', (byte)'\n', (byte)0, (byte)'$', (byte)'*')));

    /// <summary>Bytes that steer a parser into its interesting states.</summary>
    public static readonly Gen<byte> ProtocolByte = Gen.Frequency(
        (2, (IGen<byte>)Gen.Byte),
        (6, Gen.OneOf(Of("*$+-:_,#(=!%~>|\r\n0123456789\"'\\x \tab?"))));

    /// <summary>Segment sizes (0 = empty segment) cycled over the stream.</summary>
    public static readonly Gen<int[]> SegmentPattern = Gen.Int[0, 24].Array[1, 8];

    /// <summary>Read sizes cycled over the stream.</summary>
    public static readonly Gen<int[]> ReadPattern = Gen.Frequency(
        (1, (IGen<int[]>)Gen.Int[1, 3].Array[1, 4]),
        (2, Gen.Int[1, 64].Array[1, 8]));

    private static readonly Gen<byte[]> Text = Gen.Byte[0x20, 0x7e].Array[0, 24];

    private static readonly Gen<byte[]> Leaf = Gen.OneOf(
        Text.Select(text => Concat(Of("+"), text, Crlf)),
        Text.Select(text => Concat(Of("-ERR "), text, Crlf)),
        Gen.Long.Select(value => Of(string.Create(CultureInfo.InvariantCulture, $":{value}\r\n"))),
        DataByte.Array[0, 80].Select(data => Bulk('$', data)),
        DataByte.Array[0, 40].Select(data => Bulk('!', data)),
        DataByte.Array[0, 40].Select(data => Bulk('=', Concat(Of("txt:"), data))),
        Gen.OneOf(Of("$-1\r\n"), Of("*-1\r\n"), Of("_\r\n"), Of("#t\r\n"), Of("#f\r\n"), Of(",inf\r\n"), Of(",-nan\r\n")),
        Gen.Int.Select(value => Of(string.Create(CultureInfo.InvariantCulture, $",{value}.25\r\n"))),
        Gen.Byte[(byte)'0', (byte)'9'].Array[1, 60].Select(digits => Concat(Of("("), digits, Crlf)));

    /// <summary>A random reply up to <paramref name="depth"/> aggregates deep, already encoded.</summary>
    public static Gen<byte[]> Reply(int depth)
    {
        if (depth == 0)
        {
            return Leaf;
        }

        var child = Reply(depth - 1);
        return Gen.Frequency(
            (4, (IGen<byte[]>)Leaf),
            (2, child.Array[0, 4].Select(children => Aggregate('*', children.Length, children))),
            (1, child.Array[0, 3].Select(children => Aggregate('~', children.Length, children))),
            (1, child.Array[0, 3].Select(children => Aggregate('>', children.Length, children))),
            (1, child.Array[0, 3].Select(child.Array[0, 3], (keys, values) => Pairs('%', keys, values, null))),
            (1, Gen.Select(child.Array[0, 2], child.Array[0, 2], child, (keys, values, value) => Pairs('|', keys, values, value))));
    }

    private static byte[] Bulk(char type, byte[] data) =>
        Concat(Of(string.Create(CultureInfo.InvariantCulture, $"{type}{data.Length}\r\n")), data, Crlf);

    private static byte[] Aggregate(char type, int count, IEnumerable<byte[]> children) =>
        Concat(children.Prepend(Of(string.Create(CultureInfo.InvariantCulture, $"{type}{count}\r\n"))).ToArray());

    // A map, or an attribute followed by the value it decorates.
    private static byte[] Pairs(char type, byte[][] keys, byte[][] values, byte[]? decorated)
    {
        int count = Math.Min(keys.Length, values.Length);
        var parts = new List<byte[]> { Of(string.Create(CultureInfo.InvariantCulture, $"{type}{count}\r\n")) };
        for (int i = 0; i < count; i++)
        {
            parts.Add(keys[i]);
            parts.Add(values[i]);
        }

        if (decorated is not null)
        {
            parts.Add(decorated);
        }

        return Concat([.. parts]);
    }
}
