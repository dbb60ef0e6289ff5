using System.Globalization;
using System.Text;

namespace RespProxy.TestSupport;

/// <summary>Writes redis.conf / sentinel.conf files; the helpers only know the config syntax, not its meaning.</summary>
internal static class RedisConfFile
{
    public static void Write(string path, IEnumerable<string> lines) =>
        File.WriteAllLines(path, ["# Written by RespProxy.TestSupport for one test; deleted afterwards.", .. lines], Utf8WithoutBom);

    /// <summary>Appends lines; a later line overrides an earlier one for single-valued redis settings.</summary>
    public static void Append(string path, IEnumerable<string> lines) => File.AppendAllLines(path, lines, Utf8WithoutBom);

    /// <summary>Quotes a value (typically a path) using redis' own double-quote escaping rules.</summary>
    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    // redis does not expect a byte-order mark at the start of its config file.
    private static readonly UTF8Encoding Utf8WithoutBom = new(encoderShouldEmitUTF8Identifier: false);
}
