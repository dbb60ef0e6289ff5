using System.Buffers;
using System.Buffers.Text;

namespace RespProxy.Resp.Parsing;

/// <summary>
/// One parsed client request: the frame's bytes exactly as they should be forwarded, and where each argument lies
/// inside them. The instance is owned by one connection's <see cref="RequestParser"/> and reused for every request,
/// so it is valid only until the next parse call.
/// </summary>
public sealed class RespRequest
{
    private long[] _argumentOffsets = new long[8];
    private int[] _argumentLengths = new int[8];

    /// <summary>The whole request as RESP multibulk bytes (inline requests are re-encoded as multibulk).</summary>
    public ReadOnlySequence<byte> Frame { get; private set; }

    /// <summary>Number of arguments, the command name included.</summary>
    public int ArgumentCount { get; private set; }

    /// <summary>True when the client sent an inline (telnet-style) request.</summary>
    public bool WasInline { get; private set; }

    public ReadOnlySequence<byte> GetArgument(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)ArgumentCount, nameof(index));
        return Frame.Slice(_argumentOffsets[index], _argumentLengths[index]);
    }

    public int GetArgumentLength(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)ArgumentCount, nameof(index));
        return _argumentLengths[index];
    }

    /// <summary>Offset of the argument's first byte within <see cref="Frame"/>.</summary>
    public long GetArgumentOffset(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)ArgumentCount, nameof(index));
        return _argumentOffsets[index];
    }

    /// <summary>
    /// Copies a short argument into <paramref name="destination"/>; false when it does not fit (the caller then
    /// treats it as "not one of the words I know").
    /// </summary>
    public bool TryCopyArgument(int index, Span<byte> destination, out int written)
    {
        int length = GetArgumentLength(index);
        if (length > destination.Length)
        {
            written = 0;
            return false;
        }

        if (TryGetArgumentSpan(index, out var span))
        {
            span.CopyTo(destination);
        }
        else
        {
            GetArgument(index).CopyTo(destination);
        }

        written = length;
        return true;
    }

    /// <summary>
    /// The argument's bytes without a copy when the frame lies in one buffer segment, as nearly every request does;
    /// false for a frame spread over segments (use <see cref="GetArgument"/> or <see cref="TryCopyArgument"/>).
    /// </summary>
    public bool TryGetArgumentSpan(int index, out ReadOnlySpan<byte> argument)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)ArgumentCount, nameof(index));
        var frame = Frame;
        if (!frame.IsSingleSegment)
        {
            argument = default;
            return false;
        }

        argument = frame.FirstSpan.Slice((int)_argumentOffsets[index], _argumentLengths[index]);
        return true;
    }

    /// <summary>Case-insensitive ASCII comparison with an upper-case literal such as "SETNAME"u8.</summary>
    public bool ArgumentEquals(int index, ReadOnlySpan<byte> upperCaseAscii)
    {
        if (GetArgumentLength(index) != upperCaseAscii.Length)
        {
            return false;
        }

        if (TryGetArgumentSpan(index, out var argument))
        {
            return System.Text.Ascii.EqualsIgnoreCase(argument, upperCaseAscii);
        }

        Span<byte> scratch = stackalloc byte[64];
        if (!TryCopyArgument(index, scratch, out int written))
        {
            return false;
        }

        return System.Text.Ascii.EqualsIgnoreCase(scratch[..written], upperCaseAscii);
    }

    /// <summary>Parses the argument as a Redis integer (no '+', no spaces), as string2ll does.</summary>
    public bool TryGetInt64(int index, out long value)
    {
        Span<byte> scratch = stackalloc byte[24];
        value = 0;
        if (!TryCopyArgument(index, scratch, out int written) || written == 0 || scratch[0] == (byte)'+')
        {
            return false;
        }

        return Utf8Parser.TryParse(scratch[..written], out value, out int consumed) && consumed == written;
    }

    internal void Begin(bool inline)
    {
        ArgumentCount = 0;
        WasInline = inline;
        Frame = default;
    }

    internal void AddArgument(long offset, int length)
    {
        if (ArgumentCount == _argumentOffsets.Length)
        {
            // Grows with arguments that actually arrived, never with a count the client merely claimed.
            Array.Resize(ref _argumentOffsets, ArgumentCount * 2);
            Array.Resize(ref _argumentLengths, ArgumentCount * 2);
        }

        _argumentOffsets[ArgumentCount] = offset;
        _argumentLengths[ArgumentCount] = length;
        ArgumentCount++;
    }

    internal void Complete(in ReadOnlySequence<byte> frame) => Frame = frame;
}
