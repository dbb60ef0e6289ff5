using System.Collections.Concurrent;
using System.Text;

namespace RespProxy.LoadTests;

/// <summary>Keeps the details of the first N problems (mismatches, failures) for printing; thread-safe.</summary>
public sealed class MismatchLog
{
    private readonly int _max;
    private readonly ConcurrentQueue<string> _lines = new();
    private int _taken;

    public MismatchLog(int max) => _max = max;

    public IEnumerable<string> Lines => _lines;

    /// <summary>True if one more detail line is wanted; call before building the (allocating) text.</summary>
    public bool Want() => Volatile.Read(ref _taken) < _max && Interlocked.Increment(ref _taken) <= _max;

    public void Add(string line) => _lines.Enqueue(line);

    /// <summary>Printable excerpt of raw protocol bytes: CR/LF and non-ASCII escaped, cut after max bytes.</summary>
    public static string Excerpt(ReadOnlySpan<byte> bytes, int max = 120)
    {
        var sb = new StringBuilder();
        foreach (byte b in bytes[..Math.Min(bytes.Length, max)])
        {
            _ = b switch
            {
                (byte)'\r' => sb.Append("\\r"),
                (byte)'\n' => sb.Append("\\n"),
                (byte)'\\' => sb.Append("\\\\"),
                >= 0x20 and < 0x7f => sb.Append((char)b),
                _ => sb.Append($"\\x{b:x2}"),
            };
        }
        if (bytes.Length > max)
        {
            sb.Append($"...(+{bytes.Length - max} bytes)");
        }
        return sb.ToString();
    }
}
