namespace RespProxy.LoadTests;

/// <summary>Outcome of checking one reply. Everything but <see cref="Ok"/> is a mismatch.</summary>
public enum Verdict : byte
{
    Ok,
    ErrorReply,      // -ERR ... where the command should succeed
    WrongType,       // e.g. an integer where a bulk string was due, MGET array of the wrong length
    WrongContent,    // +OK / +PONG expected, other text received
    Malformed,       // a value that is not in our format (or has a different length)
    ForeignRun,      // a value written by another run
    WrongKey,        // a value that belongs to another key
    UnknownWriter,   // writer connection id out of range
    FutureWrite,     // writer sequence number not sent (yet): the write never happened
    NotAWrite,       // request (writer, seq, slot) was not a SET/MSET of that key (or was overwritten in the same MSET)
    IncrSequence,    // per-connection INCR counter did not go up by exactly 1
}

public static class VerdictNames
{
    public const int Count = (int)Verdict.IncrSequence + 1;

    public static string Name(Verdict v) => v switch
    {
        Verdict.Ok => "ok",
        Verdict.ErrorReply => "error-reply",
        Verdict.WrongType => "wrong-type",
        Verdict.WrongContent => "wrong-content",
        Verdict.Malformed => "malformed-value",
        Verdict.ForeignRun => "foreign-value",
        Verdict.WrongKey => "wrong-key",
        Verdict.UnknownWriter => "unknown-writer",
        Verdict.FutureWrite => "write-not-sent",
        Verdict.NotAWrite => "not-a-write",
        _ => "incr-sequence",
    };
}

/// <summary>
/// Checks a reply against the request it answers. Type and fixed replies (+OK, +PONG, integer) are always
/// checked; with --verify, values are decoded and proven to come from a SET/MSET of the same key that was sent.
/// </summary>
public sealed class ReplyVerifier
{
    private static ReadOnlySpan<byte> Ok => "OK"u8;
    private static ReadOnlySpan<byte> Pong => "PONG"u8;

    private readonly Workload _workload;
    private readonly SentLog _sent;
    private readonly bool _verify;
    private readonly uint _runId;
    private readonly int _valueSize;
    private readonly bool _freshCounters;

    public ReplyVerifier(Workload workload, SentLog sent, bool verify, uint runId, int valueSize, bool freshCounters)
    {
        _workload = workload;
        _sent = sent;
        _verify = verify;
        _runId = runId;
        _valueSize = valueSize;
        _freshCounters = freshCounters;
    }

    /// <summary>Initial value of a connection's "last INCR reply" state.</summary>
    public long InitialIncr => _freshCounters ? 0 : -1;

    public Verdict Check(OpKind op, int conn, long seq, in Reply reply, ReadOnlySpan<Reply> elements,
        ReadOnlySpan<byte> buf, ref long lastIncr, out int nils)
    {
        nils = 0;
        if (reply.Kind == ReplyKind.Error)
        {
            return Verdict.ErrorReply;
        }
        switch (op)
        {
            case OpKind.Set:
            case OpKind.MSet:
                return Simple(reply, buf, Ok);
            case OpKind.Ping:
                return Simple(reply, buf, Pong);
            case OpKind.Incr:
                if (reply.Kind != ReplyKind.Integer)
                {
                    return Verdict.WrongType;
                }
                bool inOrder = !_verify || lastIncr < 0 || reply.Integer == lastIncr + 1;
                lastIncr = reply.Integer;
                return inOrder ? Verdict.Ok : Verdict.IncrSequence;
            case OpKind.Get:
                return Value(reply, buf, _workload.KeyAt(conn, seq, 0), ref nils);
            default:   // MGET
                if (reply.Kind != ReplyKind.Array || reply.Count != _workload.KeysPerMulti || elements.Length < reply.Count)
                {
                    return Verdict.WrongType;
                }
                for (int s = 0; s < reply.Count; s++)
                {
                    Verdict v = Value(elements[s], buf, _workload.KeyAt(conn, seq, s), ref nils);
                    if (v != Verdict.Ok)
                    {
                        return v;
                    }
                }
                return Verdict.Ok;
        }
    }

    private static Verdict Simple(in Reply reply, ReadOnlySpan<byte> buf, ReadOnlySpan<byte> expected)
    {
        if (reply.Kind != ReplyKind.SimpleString)
        {
            return Verdict.WrongType;
        }
        return buf.Slice(reply.Start, reply.Length).SequenceEqual(expected) ? Verdict.Ok : Verdict.WrongContent;
    }

    private Verdict Value(in Reply reply, ReadOnlySpan<byte> buf, long expectedKey, ref int nils)
    {
        if (reply.Kind == ReplyKind.Null)
        {
            nils++;
            return Verdict.Ok;
        }
        if (reply.Kind != ReplyKind.Bulk)
        {
            return reply.Kind == ReplyKind.Error ? Verdict.ErrorReply : Verdict.WrongType;
        }
        return _verify ? CheckValue(buf.Slice(reply.Start, reply.Length), expectedKey) : Verdict.Ok;
    }

    /// <summary>The value must be ours, for this key, and written by a SET/MSET that was sent.</summary>
    public Verdict CheckValue(ReadOnlySpan<byte> value, long expectedKey)
    {
        switch (ValueFormat.TryRead(value, _valueSize, _runId, out long key, out int slot, out int conn, out long seq))
        {
            case ValueFormat.Parse.Malformed: return Verdict.Malformed;
            case ValueFormat.Parse.ForeignRun: return Verdict.ForeignRun;
        }
        if (key != expectedKey)
        {
            return Verdict.WrongKey;
        }
        if (conn >= _sent.Connections)
        {
            return Verdict.UnknownWriter;
        }
        if (seq >= _sent.SentCount(conn))
        {
            return Verdict.FutureWrite;
        }
        OpKind op = _workload.OpAt(conn, seq);
        int keys = _workload.KeyCount(op);
        if (!OpNames.IsWrite(op) || slot >= keys || _workload.KeyAt(conn, seq, slot) != key)
        {
            return Verdict.NotAWrite;
        }
        for (int later = slot + 1; later < keys; later++)
        {
            if (_workload.KeyAt(conn, seq, later) == key)
            {
                return Verdict.NotAWrite;   // the same MSET set this key again: this value was overwritten at once
            }
        }
        return Verdict.Ok;
    }
}
