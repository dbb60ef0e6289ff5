namespace RespProxy.LoadTests;

public enum OpKind : byte { Set, Get, MSet, MGet, Incr, Ping }

public static class OpNames
{
    public const int Count = 6;

    public static string Name(OpKind op) => op switch
    {
        OpKind.Set => "set",
        OpKind.Get => "get",
        OpKind.MSet => "mset",
        OpKind.MGet => "mget",
        OpKind.Incr => "incr",
        _ => "ping",
    };

    public static bool TryParse(string text, out OpKind op)
    {
        for (int i = 0; i < Count; i++)
        {
            if (string.Equals(text, Name((OpKind)i), StringComparison.OrdinalIgnoreCase))
            {
                op = (OpKind)i;
                return true;
            }
        }
        op = default;
        return false;
    }

    public static bool IsWrite(OpKind op) => op is OpKind.Set or OpKind.MSet;
}

/// <summary>
/// The workload is a pure function of (seed, connection, sequence number): which command request #seq of a
/// connection is, and which keys it touches. The verifier relies on this: a value read back names the writer
/// (connection, seq, slot), and the verifier recomputes what that request was to prove the write happened.
/// </summary>
public sealed class Workload
{
    private readonly ulong _seed;
    private readonly OpKind[] _ops;
    private readonly uint[] _upTo;   // cumulative weights
    private readonly uint _total;

    public Workload(ulong seed, MixEntry[] mix, long keySpace, int keysPerMulti)
    {
        _seed = seed;
        KeySpace = keySpace;
        KeysPerMulti = keysPerMulti;
        _ops = [.. mix.Select(m => m.Op)];
        _upTo = new uint[mix.Length];
        uint sum = 0;
        for (int i = 0; i < mix.Length; i++)
        {
            sum += (uint)mix[i].Weight;
            _upTo[i] = sum;
        }
        _total = sum;
    }

    public long KeySpace { get; }
    public int KeysPerMulti { get; }

    public OpKind OpAt(int conn, long seq)
    {
        uint x = (uint)(Hash(conn, seq, 0) % _total);
        for (int i = 0; i < _upTo.Length - 1; i++)
        {
            if (x < _upTo[i])
            {
                return _ops[i];
            }
        }
        return _ops[^1];
    }

    /// <summary>Key index of key slot <paramref name="slot"/> (0 for SET/GET, 0..K-1 for MSET/MGET).</summary>
    public long KeyAt(int conn, long seq, int slot) => (long)(Hash(conn, seq, slot + 1) % (ulong)KeySpace);

    public int KeyCount(OpKind op) => op switch
    {
        OpKind.Set or OpKind.Get => 1,
        OpKind.MSet or OpKind.MGet => KeysPerMulti,
        _ => 0,
    };

    private ulong Hash(int conn, long seq, int slot)
    {
        ulong z = _seed ^ ((ulong)(uint)conn * 0x9E3779B97F4A7C15UL) ^ Mix64((ulong)seq + 0x632BE59BD9B4E019UL)
                  ^ ((ulong)(uint)slot * 0xC2B2AE3D27D4EB4FUL);
        return Mix64(z);
    }

    private static ulong Mix64(ulong z)   // splitmix64 finalizer
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
