using System.Text;

namespace RespProxy.LoadTests;

/// <summary>
/// --self-test: feeds good and deliberately wrong replies through the same parser and checker the connections
/// use, and fails unless every good reply passes and every wrong one is caught. Needs no server.
/// </summary>
public static class SelfTest
{
    private const int Clients = 3, KeysPerMulti = 3, ValueSize = 50;
    private const long KeySpace = 40, Published = 400;
    private const uint RunId = 0xA1B2C3D4;

    public static int Run(TextWriter w)
    {
        var t = new Checker(w);
        var workload = new Workload(42, Options.ParseMix("set:1,get:1,mset:1,mget:1,incr:1,ping:1"), KeySpace, KeysPerMulti);
        var sent = new SentLog(Clients);
        sent.Publish(0, Published);
        sent.Publish(1, Published);   // connection 2 has sent nothing
        var verifier = new ReplyVerifier(workload, sent, verify: true, RunId, ValueSize, freshCounters: true);
        var ops = new[] { OpKind.Set, OpKind.Get, OpKind.MSet, OpKind.MGet, OpKind.Incr, OpKind.Ping };
        var writer = new RequestEncoder(workload, 0, ops, "st:", ValueSize, verify: true, RunId);

        // A GET of connection 1 and a SET/MSET of connection 0 that wrote the key it reads.
        long getSeq = Find(workload, 1, OpKind.Get);
        long key = workload.KeyAt(1, getSeq, 0);
        byte[] good = WrittenValue(workload, writer, key);
        t.Case("GET: value of a SET/MSET that was sent", OpKind.Get, getSeq, Bulk(good), Verdict.Ok, verifier);
        t.Case("GET: nil", OpKind.Get, getSeq, "$-1\r\n"u8.ToArray(), Verdict.Ok, verifier);

        int caught = 0;
        for (int pos = 0; pos < ValueFormat.MinSize + 1; pos++)
        {
            byte[] reply = Bulk(good);
            Span<Reply> none = [];
            ReplyReader.TryRead(reply, out Reply r, none);
            FaultInjector.Corrupt(reply, ref r, none, pos);
            long incr = 0;
            caught += verifier.Check(OpKind.Get, 1, getSeq, r, none, reply, ref incr, out _) != Verdict.Ok ? 1 : 0;
        }
        t.Expect($"GET: one flipped bit at each of the first {ValueFormat.MinSize + 1} value bytes", caught == ValueFormat.MinSize + 1,
            $"{caught}/{ValueFormat.MinSize + 1} caught");

        long otherGet = FindOther(workload, 1, OpKind.Get, key);
        t.Case("GET: value of another key", OpKind.Get, otherGet, Bulk(good), Verdict.WrongKey, verifier);
        t.Case("GET: value of a write never sent", OpKind.Get, getSeq, Bulk(Value(key, 0, 2, 5)), Verdict.FutureWrite, verifier);
        t.Case("GET: writer connection out of range", OpKind.Get, getSeq, Bulk(Value(key, 0, 7, 5)), Verdict.UnknownWriter, verifier);
        long notWrite = Find(workload, 0, OpKind.Ping);
        t.Case("GET: value naming a request that was no write", OpKind.Get, getSeq, Bulk(Value(key, 0, 0, notWrite)), Verdict.NotAWrite, verifier);
        t.Case("GET: value of another run", OpKind.Get, getSeq, Bulk(Value(key, 0, 0, 1, RunId + 1)), Verdict.ForeignRun, verifier);
        t.Case("GET: value of the wrong length", OpKind.Get, getSeq, Bulk(good[..^1]), Verdict.Malformed, verifier);
        t.Case("GET: value not ours", OpKind.Get, getSeq, Bulk("xxx"u8.ToArray()), Verdict.Malformed, verifier);
        t.Case("GET: integer instead of bulk", OpKind.Get, getSeq, ":5\r\n"u8.ToArray(), Verdict.WrongType, verifier);
        t.Case("GET: error reply", OpKind.Get, getSeq, "-ERR boom\r\n"u8.ToArray(), Verdict.ErrorReply, verifier);

        t.Case("SET: +OK", OpKind.Set, 0, "+OK\r\n"u8.ToArray(), Verdict.Ok, verifier);
        t.Case("SET: +oK", OpKind.Set, 0, "+oK\r\n"u8.ToArray(), Verdict.WrongContent, verifier);
        t.Case("SET: bulk OK", OpKind.Set, 0, "$2\r\nOK\r\n"u8.ToArray(), Verdict.WrongType, verifier);
        t.Case("MSET: +OK", OpKind.MSet, 0, "+OK\r\n"u8.ToArray(), Verdict.Ok, verifier);
        t.Case("PING: +PONG", OpKind.Ping, 0, "+PONG\r\n"u8.ToArray(), Verdict.Ok, verifier);
        t.Case("PING: +OK", OpKind.Ping, 0, "+OK\r\n"u8.ToArray(), Verdict.WrongContent, verifier);

        long incrState = verifier.InitialIncr;
        t.Case("INCR: 1", OpKind.Incr, 0, ":1\r\n"u8.ToArray(), Verdict.Ok, verifier, ref incrState);
        t.Case("INCR: 2", OpKind.Incr, 0, ":2\r\n"u8.ToArray(), Verdict.Ok, verifier, ref incrState);
        t.Case("INCR: 4 after 2 (a lost or doubled INCR)", OpKind.Incr, 0, ":4\r\n"u8.ToArray(), Verdict.IncrSequence, verifier, ref incrState);
        t.Case("INCR: 5 after 4", OpKind.Incr, 0, ":5\r\n"u8.ToArray(), Verdict.Ok, verifier, ref incrState);
        t.Case("INCR: 5 again (went backwards)", OpKind.Incr, 0, ":5\r\n"u8.ToArray(), Verdict.IncrSequence, verifier, ref incrState);
        long fresh = verifier.InitialIncr;
        t.Case("INCR: first reply 7 on a fresh counter", OpKind.Incr, 0, ":7\r\n"u8.ToArray(), Verdict.IncrSequence, verifier, ref fresh);

        long mget = Find(workload, 1, OpKind.MGet);
        byte[][] mgetValues = [.. Enumerable.Range(0, KeysPerMulti).Select(s => WrittenValue(workload, writer, workload.KeyAt(1, mget, s)))];
        t.Case("MGET: values of sent writes", OpKind.MGet, mget, Array(mgetValues.Select(Bulk)), Verdict.Ok, verifier);
        t.Case("MGET: all nil", OpKind.MGet, mget, Array(Enumerable.Repeat("$-1\r\n"u8.ToArray(), KeysPerMulti)), Verdict.Ok, verifier);
        t.Case("MGET: two values swapped", OpKind.MGet, mget,
            Array(new[] { mgetValues[1], mgetValues[0], mgetValues[2] }.Select(Bulk)),
            workload.KeyAt(1, mget, 0) == workload.KeyAt(1, mget, 1) ? Verdict.Ok : Verdict.WrongKey, verifier);
        t.Case("MGET: one element short", OpKind.MGet, mget, Array(mgetValues.Take(KeysPerMulti - 1).Select(Bulk)), Verdict.WrongType, verifier);

        var el = new Reply[4];
        t.Expect("parser: partial bulk needs more data", ReplyReader.TryRead("$5\r\nab"u8, out _, el) == ReplyReader.Incomplete, "");
        t.Expect("parser: unknown type byte is a protocol error", ReplyReader.TryRead("?x\r\n"u8, out _, el) == ReplyReader.Invalid, "");
        t.Expect("parser: bulk without CRLF is a protocol error", ReplyReader.TryRead("$2\r\nOKxx"u8, out _, el) == ReplyReader.Invalid, "");
        byte[] whole = Array(mgetValues.Select(Bulk));
        bool split = Enumerable.Range(0, whole.Length).All(n => ReplyReader.TryRead(whole.AsSpan(0, n), out _, el) == ReplyReader.Incomplete)
                     && ReplyReader.TryRead(whole, out _, el) == whole.Length;
        t.Expect("parser: an MGET reply cut at every byte is incomplete until whole", split, "");

        w.WriteLine();
        w.WriteLine(t.Failed == 0 ? $"self-test passed ({t.Passed} checks)" : $"self-test FAILED: {t.Failed} of {t.Passed + t.Failed} checks");
        return t.Failed == 0 ? 0 : 1;
    }

    private static long Find(Workload w, int conn, OpKind op)
    {
        for (long s = 0; s < Published; s++)
        {
            if (w.OpAt(conn, s) == op)
            {
                return s;
            }
        }
        throw new InvalidOperationException($"no {op} in the first {Published} requests of connection {conn}");
    }

    private static long FindOther(Workload w, int conn, OpKind op, long notKey)
    {
        for (long s = 0; s < Published; s++)
        {
            if (w.OpAt(conn, s) == op && w.KeyAt(conn, s, 0) != notKey)
            {
                return s;
            }
        }
        throw new InvalidOperationException($"no {op} of another key");
    }

    /// <summary>The value connection 0 really wrote to <paramref name="key"/>, cut out of its encoded request.</summary>
    private static byte[] WrittenValue(Workload w, RequestEncoder writer, long key)
    {
        var buf = new byte[writer.MaxRequestLength];
        var el = new Reply[1 + (2 * KeysPerMulti)];
        for (long s = 0; s < Published; s++)
        {
            OpKind op = w.OpAt(0, s);
            int keys = w.KeyCount(op);
            for (int slot = keys - 1; OpNames.IsWrite(op) && slot >= 0; slot--)
            {
                if (w.KeyAt(0, s, slot) != key)
                {
                    continue;
                }
                int len = writer.Encode(op, s, buf);
                ReplyReader.TryRead(buf.AsSpan(0, len), out _, el);   // a request is an array of bulk strings
                Reply v = el[2 + (2 * slot)];
                return buf.AsSpan(v.Start, v.Length).ToArray();
            }
        }
        throw new InvalidOperationException($"connection 0 wrote no value to key {key}");
    }

    private static byte[] Value(long key, int slot, int conn, long seq, uint runId = RunId)
    {
        var v = new byte[ValueSize];
        ValueFormat.WriteConstant(v, runId);
        ValueFormat.WriteFields(v, key, slot, conn, seq);
        return v;
    }

    private static byte[] Bulk(byte[] payload) =>
        [.. Encoding.ASCII.GetBytes($"${payload.Length}\r\n"), .. payload, .. "\r\n"u8];

    private static byte[] Array(IEnumerable<byte[]> items)
    {
        var list = items.ToList();
        return [.. Encoding.ASCII.GetBytes($"*{list.Count}\r\n"), .. list.SelectMany(x => x)];
    }

    private sealed class Checker(TextWriter w)
    {
        public int Passed { get; private set; }
        public int Failed { get; private set; }

        public void Case(string name, OpKind op, long seq, byte[] reply, Verdict expected, ReplyVerifier v)
        {
            long incr = v.InitialIncr;
            Case(name, op, seq, reply, expected, v, ref incr);
        }

        public void Case(string name, OpKind op, long seq, byte[] reply, Verdict expected, ReplyVerifier v, ref long incr)
        {
            var el = new Reply[KeysPerMulti];
            int used = ReplyReader.TryRead(reply, out Reply r, el);
            if (used != reply.Length)
            {
                Expect(name, false, $"parser took {used} of {reply.Length} bytes");
                return;
            }
            Verdict got = v.Check(op, op == OpKind.Incr ? 0 : 1, seq, r, el, reply, ref incr, out _);
            Expect(name, got == expected, $"expected {VerdictNames.Name(expected)}, got {VerdictNames.Name(got)}");
        }

        public void Expect(string name, bool ok, string detail)
        {
            if (ok)
            {
                Passed++;
            }
            else
            {
                Failed++;
            }
            w.WriteLine($"{(ok ? "PASS" : "FAIL")}  {name}{(ok || detail.Length == 0 ? "" : "  -- " + detail)}");
        }
    }
}
