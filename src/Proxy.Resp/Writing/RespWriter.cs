using System.Buffers;
using System.Buffers.Text;

namespace RespProxy.Resp.Writing;

/// <summary>
/// Writes RESP2 replies straight into an <see cref="IBufferWriter{T}"/> (a connection's PipeWriter), no intermediate
/// strings. The caller owns flushing.
/// </summary>
public static class RespWriter
{
    public static void WriteRaw(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);

    public static void WriteRaw(IBufferWriter<byte> output, in ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
        {
            output.Write(segment.Span);
        }
    }

    public static void WriteSimpleString(IBufferWriter<byte> output, ReadOnlySpan<byte> text) => WriteLine(output, (byte)'+', text);

    /// <summary>Writes "-{text}\r\n"; <paramref name="text"/> starts with the error code, e.g. "ERR ...".</summary>
    public static void WriteError(IBufferWriter<byte> output, ReadOnlySpan<byte> text) => WriteLine(output, (byte)'-', text);

    private static void WriteLine(IBufferWriter<byte> output, byte prefix, ReadOnlySpan<byte> text)
    {
        var span = output.GetSpan(text.Length + 3);
        span[0] = prefix;
        text.CopyTo(span[1..]);
        span[text.Length + 1] = (byte)'\r';
        span[text.Length + 2] = (byte)'\n';
        output.Advance(text.Length + 3);
    }

    public static void WriteInteger(IBufferWriter<byte> output, long value) => WritePrefixedNumber(output, (byte)':', value);

    public static void WriteArrayHeader(IBufferWriter<byte> output, int count) => WritePrefixedNumber(output, (byte)'*', count);

    public static void WriteNullBulk(IBufferWriter<byte> output) => output.Write("$-1\r\n"u8);

    public static void WriteBulkString(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WritePrefixedNumber(output, (byte)'$', value.Length);
        output.Write(value);
        output.Write("\r\n"u8);
    }

    public static void WriteBulkString(IBufferWriter<byte> output, in ReadOnlySequence<byte> value)
    {
        WritePrefixedNumber(output, (byte)'$', value.Length);
        WriteRaw(output, value);
        output.Write("\r\n"u8);
    }

    private static void WritePrefixedNumber(IBufferWriter<byte> output, byte prefix, long value)
    {
        var span = output.GetSpan(24);
        span[0] = prefix;
        Utf8Formatter.TryFormat(value, span[1..], out int digits);
        span[digits + 1] = (byte)'\r';
        span[digits + 2] = (byte)'\n';
        output.Advance(digits + 3);
    }
}
