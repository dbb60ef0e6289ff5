using System.Buffers;

namespace RespProxy.Resp.Framing;

/// <summary>
/// Finds where one RESP2/RESP3 frame ends without materialising it. The scanner is resumable at any byte: state
/// (elements still owed, bulk bytes still to skip, a half-read length line) survives between calls, so a reply that
/// arrives in many reads is examined once, not once per read. Used for backend replies, which the proxy copies
/// through unchanged; it needs the boundary, never the values.
/// </summary>
/// <remarks>
/// Counting rule: a frame owes one element; an aggregate header of n replaces itself with n children (2n for maps,
/// attributes add 2n and still owe the element they decorate); a leaf pays one. The frame ends when nothing is owed.
/// </remarks>
public struct RespFrameScanner
{
    private const int MaxLengthDigits = 18;
    private const long MaxOwed = long.MaxValue / 4;

    private enum State : byte
    {
        Type,
        SkipLine,
        Number,
        NumberLf,
        SkipBulk,
        BulkCr,
        BulkLf,
    }

    private long _scanned;
    private long _owed;
    private long _bulkRemaining;
    private long _number;
    private int _numberDigits;
    private bool _numberNegative;
    private byte _numberType;
    private State _state;

    /// <summary>True while a frame is partly scanned: the next call must pass the same frame start again.</summary>
    public readonly bool IsMidFrame => _owed != 0;

    /// <summary>Bytes of the current frame examined so far (for diagnostics and buffer accounting).</summary>
    public readonly long Scanned => _scanned;

    /// <summary>
    /// Continues scanning the frame that starts at <paramref name="frame"/>'s first byte. Pass the same frame start
    /// (more bytes appended) until the result is not <see cref="ScanResult.NeedMoreData"/>.
    /// </summary>
    public ScanResult TryScan(in ReadOnlySequence<byte> frame, out long frameLength)
    {
        if (_owed == 0)
        {
            if (TryMeasureWholeLeaf(frame.FirstSpan, out int leafLength))
            {
                frameLength = leafLength;
                return ScanResult.Complete;
            }

            _owed = 1;
        }

        frameLength = 0;

        var unread = _scanned == 0 ? frame : frame.Slice(_scanned);
        foreach (var memory in unread)
        {
            var span = memory.Span;
            int index = 0;
            while (index < span.Length)
            {
                var step = Step(span, ref index);
                if (step == ScanResult.Complete)
                {
                    frameLength = _scanned + index;
                    Reset();
                    return ScanResult.Complete;
                }

                if (step == ScanResult.Invalid)
                {
                    Reset();
                    return ScanResult.Invalid;
                }
            }

            _scanned += span.Length;
        }

        return ScanResult.NeedMoreData;
    }

    public void Reset() => this = default;

    /// <summary>
    /// Measures the frame at the start of <paramref name="span"/> when it is a whole one-line reply (+OK, :1, -ERR ...)
    /// or bulk string, as nearly every reply is: no state machine, no state. False for anything else (aggregates,
    /// incomplete or unusual frames), which <see cref="TryScan"/> handles and, where needed, rejects.
    /// </summary>
    public static bool TryMeasureWholeLeaf(ReadOnlySpan<byte> span, out int length)
    {
        length = 0;
        if (span.Length < 3)
        {
            return false;
        }

        switch (span[0])
        {
            case (byte)'+':
            case (byte)'-':
            case (byte)':':
                int newline = span.IndexOf((byte)'\n');
                if (newline < 0)
                {
                    return false;
                }

                length = newline + 1;
                return true;
            case (byte)'$':
                if (span.Length >= 5 && span[1] == (byte)'-' && span[2] == (byte)'1' && span[3] == (byte)'\r' && span[4] == (byte)'\n')
                {
                    length = 5;
                    return true;
                }

                // At most 9 digits: the total cannot overflow, and a longer value is not whole in one segment anyway.
                int index = 1;
                int value = 0;
                while (index < span.Length && index <= 9 && span[index] - (uint)'0' <= 9)
                {
                    value = (value * 10) + (span[index] - '0');
                    index++;
                }

                long end = index + 2L + value + 2;
                if (index == 1 || end > span.Length || span[index] != (byte)'\r' || span[index + 1] != (byte)'\n'
                    || span[(int)end - 2] != (byte)'\r' || span[(int)end - 1] != (byte)'\n')
                {
                    return false;
                }

                length = (int)end;
                return true;
            default:
                return false;
        }
    }

    // Advances through span from index; returns Complete when the frame's last byte was consumed, Invalid on
    // malformed input, NeedMoreData otherwise (index may or may not have reached the end).
    private ScanResult Step(ReadOnlySpan<byte> span, ref int index)
    {
        switch (_state)
        {
            case State.Type:
                return OnTypeByte(span[index++]);

            case State.SkipLine:
                int newline = span.Slice(index).IndexOf((byte)'\n');
                if (newline < 0)
                {
                    index = span.Length;
                    return ScanResult.NeedMoreData;
                }

                index += newline + 1;
                return PayLeaf();

            case State.Number:
                return OnNumberByte(span[index++]);

            case State.NumberLf:
                if (span[index++] != (byte)'\n')
                {
                    return ScanResult.Invalid;
                }

                return OnNumberComplete();

            case State.SkipBulk:
                long available = span.Length - index;
                if (available < _bulkRemaining)
                {
                    _bulkRemaining -= available;
                    index = span.Length;
                    return ScanResult.NeedMoreData;
                }

                index += (int)_bulkRemaining;
                _bulkRemaining = 0;
                _state = State.BulkCr;
                return ScanResult.NeedMoreData;

            // The payload must end with CRLF: a backend stream that does not is out of step, not a longer value.
            case State.BulkCr:
                if (span[index++] != (byte)'\r')
                {
                    return ScanResult.Invalid;
                }

                _state = State.BulkLf;
                return ScanResult.NeedMoreData;

            case State.BulkLf:
                return span[index++] == (byte)'\n' ? PayLeaf() : ScanResult.Invalid;

            default:
                return ScanResult.Invalid;
        }
    }

    private ScanResult OnTypeByte(byte type)
    {
        switch (type)
        {
            // One-line types: simple string, error, integer, RESP3 null, double, boolean, big number.
            case (byte)'+':
            case (byte)'-':
            case (byte)':':
            case (byte)'_':
            case (byte)',':
            case (byte)'#':
            case (byte)'(':
                _state = State.SkipLine;
                return ScanResult.NeedMoreData;

            // Length-prefixed: bulk string, blob error, verbatim string. Aggregates: array, set, push, map, attribute.
            case (byte)'$':
            case (byte)'!':
            case (byte)'=':
            case (byte)'*':
            case (byte)'~':
            case (byte)'>':
            case (byte)'%':
            case (byte)'|':
                _numberType = type;
                _number = 0;
                _numberDigits = 0;
                _numberNegative = false;
                _state = State.Number;
                return ScanResult.NeedMoreData;

            default:
                return ScanResult.Invalid;
        }
    }

    private ScanResult OnNumberByte(byte value)
    {
        if (value - (uint)'0' <= 9)
        {
            if (++_numberDigits > MaxLengthDigits)
            {
                return ScanResult.Invalid;
            }

            _number = (_number * 10) + (value - '0');
            return ScanResult.NeedMoreData;
        }

        if (value == (byte)'-' && _numberDigits == 0 && !_numberNegative && _numberType is not ((byte)'%' or (byte)'|'))
        {
            _numberNegative = true;
            return ScanResult.NeedMoreData;
        }

        if (value == (byte)'\r' && _numberDigits > 0)
        {
            _state = State.NumberLf;
            return ScanResult.NeedMoreData;
        }

        return ScanResult.Invalid;
    }

    private ScanResult OnNumberComplete()
    {
        long length = _numberNegative ? -_number : _number;
        if (length < 0)
        {
            // Only -1 is meaningful (RESP2 null bulk / null array); it is a leaf.
            return length == -1 ? PayLeaf() : ScanResult.Invalid;
        }

        switch (_numberType)
        {
            case (byte)'$':
            case (byte)'!':
            case (byte)'=':
                _bulkRemaining = length;
                _state = length == 0 ? State.BulkCr : State.SkipBulk;
                return ScanResult.NeedMoreData;
            case (byte)'%':
                return OpenAggregate(length * 2);
            case (byte)'|':
                // An attribute decorates the next element: it adds its pairs and pays nothing.
                if (_owed > MaxOwed - (length * 2))
                {
                    return ScanResult.Invalid;
                }

                _owed += length * 2;
                _state = State.Type;
                return ScanResult.NeedMoreData;
            default:
                return OpenAggregate(length);
        }
    }

    private ScanResult OpenAggregate(long children)
    {
        if (children == 0)
        {
            return PayLeaf();
        }

        if (_owed > MaxOwed - children)
        {
            // No real reply nests this many elements; refusing keeps the count from overflowing.
            return ScanResult.Invalid;
        }

        _owed += children - 1;
        _state = State.Type;
        return ScanResult.NeedMoreData;
    }

    private ScanResult PayLeaf()
    {
        _state = State.Type;
        return --_owed == 0 ? ScanResult.Complete : ScanResult.NeedMoreData;
    }
}
