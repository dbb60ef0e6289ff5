using System.Buffers;

namespace RespProxy.Resp.Parsing;

/// <summary>
/// Parses client requests (RESP multibulk arrays of bulk strings, and inline commands as Redis accepts them from
/// telnet) with Redis's limits and error words. Resumable at any byte: progress within a frame is kept, so a
/// request arriving over many reads is examined once. One instance per client connection; not thread-safe.
/// </summary>
public sealed partial class RequestParser
{
    private const int MaxDigits = 19;

    private enum State : byte
    {
        Start,
        Count,
        CountLf,
        ArgumentType,
        ArgumentLength,
        ArgumentLengthLf,
        ArgumentData,
        ArgumentCr,
        ArgumentLf,
        Inline,
    }

    private readonly ProtocolLimits _limits;
    private State _state;
    private long _scanned;
    private long _number;
    private int _digits;
    private bool _negative;
    private bool _leadingZero;
    private long _argumentsRemaining;
    private long _dataRemaining;

    public RequestParser(ProtocolLimits? limits = null)
    {
        _limits = limits ?? ProtocolLimits.Default;
    }

    /// <summary>The last complete request; valid until the next call.</summary>
    public RespRequest Request { get; } = new();

    public ProtocolError Error { get; private set; }

    /// <summary>The byte that caused <see cref="ProtocolError.ExpectedDollar"/>.</summary>
    public byte ErrorByte { get; private set; }

    /// <summary>
    /// Continues parsing the frame that starts at <paramref name="buffer"/>'s first byte. On
    /// <see cref="RequestParseResult.Request"/> and <see cref="RequestParseResult.Skipped"/>,
    /// <paramref name="consumed"/> is the frame's length in <paramref name="buffer"/>.
    /// </summary>
    public RequestParseResult TryParse(in ReadOnlySequence<byte> buffer, out long consumed)
    {
        consumed = 0;
        if (buffer.IsEmpty)
        {
            return RequestParseResult.NeedMoreData;
        }

        if (_state == State.Start)
        {
            if (FirstByte(buffer) != (byte)'*')
            {
                _state = State.Inline;
            }
            else if (TryParseWhole(buffer, out consumed))
            {
                return RequestParseResult.Request;
            }
            else
            {
                Request.Begin(inline: false);
            }
        }

        if (_state == State.Inline)
        {
            return TryParseInline(buffer, out consumed);
        }

        var unread = _scanned == 0 ? buffer : buffer.Slice(_scanned);
        foreach (var memory in unread)
        {
            var span = memory.Span;
            int index = 0;
            while (index < span.Length)
            {
                var step = Step(span, ref index, _scanned);
                if (step == RequestParseResult.NeedMoreData)
                {
                    continue;
                }

                long frameLength = _scanned + index;
                ResetFrame();
                if (step == RequestParseResult.Request)
                {
                    Request.Complete(buffer.Slice(0, frameLength));
                }

                consumed = step == RequestParseResult.Error ? 0 : frameLength;
                return step;
            }

            _scanned += span.Length;
        }

        return RequestParseResult.NeedMoreData;
    }

    private RequestParseResult Step(ReadOnlySpan<byte> span, ref int index, long segmentStart)
    {
        byte value;
        switch (_state)
        {
            case State.Start:
                // Only reached for a multibulk frame: the '*' itself.
                index++;
                BeginNumber(State.Count);
                return RequestParseResult.NeedMoreData;

            case State.Count:
                value = span[index++];
                if (value == (byte)'\r')
                {
                    return _digits == 0 ? Fail(ProtocolError.InvalidMultibulkLength) : Next(State.CountLf);
                }

                return AddDigit(value, _limits.MaxMultibulkLength, ProtocolError.InvalidMultibulkLength);

            case State.CountLf:
                if (span[index++] != (byte)'\n')
                {
                    return Fail(ProtocolError.InvalidMultibulkLength);
                }

                if (_negative || _number == 0)
                {
                    // "*0" and "*-1" carry no command; Redis consumes them silently.
                    return RequestParseResult.Skipped;
                }

                _argumentsRemaining = _number;
                return Next(State.ArgumentType);

            case State.ArgumentType:
                value = span[index++];
                if (value != (byte)'$')
                {
                    ErrorByte = value;
                    return Fail(ProtocolError.ExpectedDollar);
                }

                BeginNumber(State.ArgumentLength);
                return RequestParseResult.NeedMoreData;

            case State.ArgumentLength:
                value = span[index++];
                if (value == (byte)'\r')
                {
                    return _digits == 0 || _negative ? Fail(ProtocolError.InvalidBulkLength) : Next(State.ArgumentLengthLf);
                }

                return AddDigit(value, _limits.MaxBulkLength, ProtocolError.InvalidBulkLength);

            case State.ArgumentLengthLf:
                if (span[index++] != (byte)'\n')
                {
                    return Fail(ProtocolError.InvalidBulkLength);
                }

                Request.AddArgument(segmentStart + index, (int)_number);
                _dataRemaining = _number;
                return Next(_number == 0 ? State.ArgumentCr : State.ArgumentData);

            case State.ArgumentData:
                long available = span.Length - index;
                if (available < _dataRemaining)
                {
                    _dataRemaining -= available;
                    index = span.Length;
                    return RequestParseResult.NeedMoreData;
                }

                index += (int)_dataRemaining;
                _dataRemaining = 0;
                return Next(State.ArgumentCr);

            case State.ArgumentCr:
                return span[index++] == (byte)'\r' ? Next(State.ArgumentLf) : Fail(ProtocolError.MissingBulkTerminator);

            case State.ArgumentLf:
                if (span[index++] != (byte)'\n')
                {
                    return Fail(ProtocolError.MissingBulkTerminator);
                }

                return --_argumentsRemaining == 0 ? RequestParseResult.Request : Next(State.ArgumentType);

            default:
                return Fail(ProtocolError.InvalidMultibulkLength);
        }
    }

    // A pipe can hand over a sequence whose first segment is empty; look past it.
    private static byte FirstByte(in ReadOnlySequence<byte> buffer)
    {
        foreach (var memory in buffer)
        {
            if (!memory.IsEmpty)
            {
                return memory.Span[0];
            }
        }

        return 0;
    }

    private void BeginNumber(State state)
    {
        _number = 0;
        _digits = 0;
        _negative = false;
        _leadingZero = false;
        _state = state;
    }

    // Digits as Redis's string2ll accepts them: optional '-', no '+', no leading zeros, no spaces.
    private RequestParseResult AddDigit(byte value, long max, ProtocolError error)
    {
        if (value == (byte)'-' && _digits == 0 && !_negative)
        {
            _negative = true;
            return RequestParseResult.NeedMoreData;
        }

        if (value - (uint)'0' > 9 || _leadingZero || ++_digits > MaxDigits || (value == (byte)'0' && _digits == 1 && _negative))
        {
            return Fail(error);
        }

        _leadingZero = _digits == 1 && value == (byte)'0';
        if (_number > (long.MaxValue - (value - '0')) / 10)
        {
            // Past 64 bits string2ll refuses, except long.MinValue itself; for a negative number only the sign matters
            // afterwards, so its magnitude saturates.
            if (_negative && _number == long.MaxValue / 10 && value == (byte)'8')
            {
                _number = long.MaxValue;
                return RequestParseResult.NeedMoreData;
            }

            return Fail(error);
        }

        _number = (_number * 10) + (value - '0');
        if (!_negative && _number > max)
        {
            // Refused as soon as the claimed length passes the limit: nothing is ever sized from it.
            return Fail(error);
        }

        return RequestParseResult.NeedMoreData;
    }

    private RequestParseResult Next(State state)
    {
        _state = state;
        return RequestParseResult.NeedMoreData;
    }

    private RequestParseResult Fail(ProtocolError error)
    {
        Error = error;
        return RequestParseResult.Error;
    }

    private void ResetFrame()
    {
        _state = State.Start;
        _scanned = 0;
        _dataRemaining = 0;
        _argumentsRemaining = 0;
    }
}
