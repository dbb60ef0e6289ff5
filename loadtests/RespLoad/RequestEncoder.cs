using System.Text;

namespace RespProxy.LoadTests;

/// <summary>
/// Pre-encoded RESP request templates for one connection. Encoding a request copies its template and patches the
/// fixed-width key digits (and, in --verify mode, the value fields) in place: no allocation per request.
/// </summary>
public sealed class RequestEncoder
{
    public const int KeyDigits = 12;

    private readonly Workload _workload;
    private readonly int _conn;
    private readonly bool _verify;
    private readonly int _valueSize;
    private readonly byte[]?[] _templates = new byte[]?[OpNames.Count];
    private readonly int[][] _keyOffsets = new int[OpNames.Count][];
    private readonly int[][] _valueOffsets = new int[OpNames.Count][];

    public RequestEncoder(Workload workload, int conn, IEnumerable<OpKind> ops, string keyPrefix, int valueSize,
        bool verify, uint runId)
    {
        _workload = workload;
        _conn = conn;
        _verify = verify;
        _valueSize = valueSize;
        byte[] key = Encoding.ASCII.GetBytes(keyPrefix + new string('0', KeyDigits));
        byte[] value = new byte[valueSize];
        if (verify)
        {
            ValueFormat.WriteConstant(value, runId);
        }
        else
        {
            value.AsSpan().Fill(ValueFormat.Filler);
        }
        foreach (OpKind op in ops.Distinct())
        {
            var t = new Template();
            int keys = workload.KeyCount(op);
            bool write = OpNames.IsWrite(op);
            var keyOffsets = new int[keys];
            var valueOffsets = new int[write ? keys : 0];
            t.ArrayHeader(1 + (keys * (write ? 2 : 1)) + (op == OpKind.Incr ? 1 : 0));
            t.Bulk(Encoding.ASCII.GetBytes(op == OpKind.MSet ? "MSET" : op == OpKind.MGet ? "MGET" : OpNames.Name(op).ToUpperInvariant()));
            for (int s = 0; s < keys; s++)
            {
                keyOffsets[s] = t.Bulk(key) + key.Length - KeyDigits;
                if (write)
                {
                    valueOffsets[s] = t.Bulk(value);
                }
            }
            if (op == OpKind.Incr)
            {
                t.Bulk(Encoding.ASCII.GetBytes(CounterKey(keyPrefix, conn)));
            }
            _templates[(int)op] = t.ToArray();
            _keyOffsets[(int)op] = keyOffsets;
            _valueOffsets[(int)op] = valueOffsets;
        }
        MaxRequestLength = _templates.Max(x => x?.Length ?? 0);
    }

    public int MaxRequestLength { get; }

    public static string CounterKey(string keyPrefix, int conn) => $"{keyPrefix}ctr:{conn:D6}";

    /// <summary>Writes request #<paramref name="seq"/> (of kind <paramref name="op"/>) into dest; returns its length.</summary>
    public int Encode(OpKind op, long seq, Span<byte> dest)
    {
        byte[] template = _templates[(int)op]!;
        template.CopyTo(dest);
        int[] keyOffsets = _keyOffsets[(int)op];
        int[] valueOffsets = _valueOffsets[(int)op];
        for (int s = 0; s < keyOffsets.Length; s++)
        {
            long key = _workload.KeyAt(_conn, seq, s);
            ValueFormat.WriteDigits(dest.Slice(keyOffsets[s], KeyDigits), key);
            if (_verify && valueOffsets.Length > 0)
            {
                ValueFormat.WriteFields(dest.Slice(valueOffsets[s], _valueSize), key, s, _conn, seq);
            }
        }
        return template.Length;
    }

    private sealed class Template
    {
        private readonly List<byte> _bytes = [];

        public void ArrayHeader(int count) => Append($"*{count}\r\n");

        /// <summary>Appends a bulk string; returns the offset of its payload.</summary>
        public int Bulk(byte[] payload)
        {
            Append($"${payload.Length}\r\n");
            int at = _bytes.Count;
            _bytes.AddRange(payload);
            Append("\r\n");
            return at;
        }

        public byte[] ToArray() => [.. _bytes];

        private void Append(string s) => _bytes.AddRange(Encoding.ASCII.GetBytes(s));
    }
}
