using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RespProxy.Resp.Tests.Framing;

/// <summary>Byte helpers for protocol tests: Latin-1 literals, multibulk encoding, readable descriptions.</summary>
internal static class TestBytes
{
    /// <summary>Each char is one byte (Latin-1), so "\0", "\r\n" and "\xff" mean exactly those bytes.</summary>
    public static byte[] Of(string text) => Encoding.Latin1.GetBytes(text);

    public static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(part => part.Length)];
        int offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(result, offset);
            offset += part.Length;
        }

        return result;
    }

    public static byte[] Repeat(byte value, int count)
    {
        var result = new byte[count];
        result.AsSpan().Fill(value);
        return result;
    }

    /// <summary>A deterministic pseudo-random payload that contains CR, LF, NUL and "\r\n" runs.</summary>
    public static byte[] Noise(int length, int seed)
    {
        var random = new Random(seed);
        var result = new byte[length];
        random.NextBytes(result);
        for (int i = 0; i + 1 < length; i += 37)
        {
            result[i] = (byte)'\r';
            result[i + 1] = (byte)'\n';
        }

        for (int i = 5; i < length; i += 41)
        {
            result[i] = 0;
        }

        return result;
    }

    public static byte[] Multibulk(params string[] arguments) => Multibulk(arguments.Select(Of).ToArray());

    public static byte[] Multibulk(IReadOnlyList<byte[]> arguments)
    {
        using var output = new MemoryStream();
        Header(output, '*', arguments.Count);
        foreach (var argument in arguments)
        {
            Header(output, '$', argument.Length);
            output.Write(argument);
            output.Write("\r\n"u8);
        }

        return output.ToArray();
    }

    /// <summary>Short byte strings escaped (\r \n \0 \xNN); long ones summarised by length and hash.</summary>
    public static string Describe(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 96)
        {
            return $"<{bytes.Length} bytes, sha256 {Convert.ToHexString(SHA256.HashData(bytes))[..16]}>";
        }

        var text = new StringBuilder("\"");
        foreach (byte value in bytes)
        {
            text.Append(value switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                (byte)'\\' => "\\\\",
                (byte)'"' => "\\\"",
                >= 0x20 and < 0x7f => ((char)value).ToString(),
                _ => "\\x" + value.ToString("x2", CultureInfo.InvariantCulture),
            });
        }

        return text.Append('"').ToString();
    }

    private static void Header(MemoryStream output, char prefix, int value)
    {
        output.WriteByte((byte)prefix);
        output.Write(Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)));
        output.Write("\r\n"u8);
    }
}
