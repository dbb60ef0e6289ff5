using System.Globalization;
using System.Text;

namespace RespProxy.TestSupport;

/// <summary>Encodes a command the way clients send it: an array of bulk strings ("multibulk").</summary>
internal static class RespCommandEncoder
{
    public static byte[] Encode(IReadOnlyList<byte[]> arguments)
    {
        using var output = new MemoryStream();
        WriteHeader(output, '*', arguments.Count);
        foreach (var argument in arguments)
        {
            WriteHeader(output, '$', argument.Length);
            output.Write(argument);
            output.Write("\r\n"u8);
        }

        return output.ToArray();
    }

    public static byte[] Encode(IReadOnlyList<string> arguments) =>
        Encode(arguments.Select(Encoding.UTF8.GetBytes).ToArray());

    private static void WriteHeader(MemoryStream output, char type, int count)
    {
        output.WriteByte((byte)type);
        output.Write(Encoding.ASCII.GetBytes(count.ToString(CultureInfo.InvariantCulture)));
        output.Write("\r\n"u8);
    }
}
