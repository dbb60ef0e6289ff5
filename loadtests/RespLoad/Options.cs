using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RespProxy.LoadTests;

/// <summary>Command line options of RespLoad. Parsing and validation only; no I/O.</summary>
public sealed class Options
{
    public const int MaxClients = 4096;
    public const int MaxPipeline = 1024;
    public const int MaxKeysPerMulti = 1000;
    public const long MaxKeySpace = 999_999_999_999;   // keys are 12 decimal digits
    public const int MaxValueSize = 1 << 20;
    public static readonly TimeSpan MaxMaxDuration = TimeSpan.FromHours(1);

    public string Host { get; private set; } = "127.0.0.1";
    public IPAddress Address { get; private set; } = IPAddress.Loopback;
    public int Port { get; private set; } = 6379;
    public int Clients { get; private set; } = 50;
    public int Pipeline { get; private set; } = 16;
    public bool Window { get; private set; }
    public MixEntry[] Mix { get; private set; } = [new(OpKind.Set, 50), new(OpKind.Get, 50)];
    public int KeysPerMulti { get; private set; } = 10;
    public long KeySpace { get; private set; } = 100_000;
    public int ValueSize { get; private set; } = 3;
    /// <summary>Measured requests (all connections together); 0 = bounded by <see cref="Duration"/> only.</summary>
    public long Requests { get; private set; }
    public TimeSpan? Duration { get; private set; }
    public TimeSpan WarmupTime { get; private set; } = TimeSpan.FromSeconds(1);
    public long WarmupRequests { get; private set; }
    public TimeSpan MaxDuration { get; private set; } = TimeSpan.FromSeconds(120);
    public TimeSpan StallTimeout { get; private set; } = TimeSpan.FromSeconds(5);
    public TimeSpan ConnectTimeout { get; private set; } = TimeSpan.FromSeconds(5);
    public bool Verify { get; private set; }
    public string? KeyPrefix { get; private set; }
    public string? CsvPath { get; private set; }
    public string? JsonPath { get; private set; }
    public string Label { get; private set; } = "";
    public bool SelfTest { get; private set; }
    public long InjectFaultEvery { get; private set; }
    public int MaxReports { get; private set; } = 20;
    public ulong Seed { get; private set; }
    public bool Quiet { get; private set; }
    public bool Help { get; private set; }

    public string MixText => string.Join(',', Mix.Select(m => $"{OpNames.Name(m.Op)}:{m.Weight}"));
    public bool HasOp(OpKind op) => Mix.Any(m => m.Op == op);

    public static Options Parse(string[] args)
    {
        var o = new Options();
        bool requestsGiven = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{a} needs a value");
            switch (a)
            {
                case "-h" or "--help": o.Help = true; break;
                case "--host": o.Host = Next(); break;
                case "--port": o.Port = (int)ParseLong(a, Next(), 1, 65535); break;
                case "--clients" or "-c": o.Clients = (int)ParseLong(a, Next(), 1, MaxClients); break;
                case "--pipeline" or "-P": o.Pipeline = (int)ParseLong(a, Next(), 1, MaxPipeline); break;
                case "--window": o.Window = true; break;
                case "--mix": o.Mix = ParseMix(Next()); break;
                case "--keys-per-multi": o.KeysPerMulti = (int)ParseLong(a, Next(), 1, MaxKeysPerMulti); break;
                case "--keyspace" or "-r": o.KeySpace = ParseLong(a, Next(), 1, MaxKeySpace); break;
                case "--value-size" or "-d": o.ValueSize = (int)ParseLong(a, Next(), 1, MaxValueSize); break;
                case "--requests" or "-n": o.Requests = ParseLong(a, Next(), 1, 10_000_000_000); requestsGiven = true; break;
                case "--duration": o.Duration = ParseDuration(a, Next()); break;
                case "--warmup": ParseWarmup(o, a, Next()); break;
                case "--max-duration": o.MaxDuration = ParseDuration(a, Next()); break;
                case "--timeout": o.StallTimeout = ParseDuration(a, Next()); break;
                case "--connect-timeout": o.ConnectTimeout = ParseDuration(a, Next()); break;
                case "--verify": o.Verify = true; break;
                case "--no-verify": o.Verify = false; break;
                case "--key-prefix": o.KeyPrefix = Next(); break;
                case "--csv": o.CsvPath = Next(); break;
                case "--json": o.JsonPath = Next(); break;
                case "--label": o.Label = Next(); break;
                case "--self-test": o.SelfTest = true; break;
                case "--inject-fault-every": o.InjectFaultEvery = ParseLong(a, Next(), 1, long.MaxValue); break;
                case "--max-reports": o.MaxReports = (int)ParseLong(a, Next(), 0, 10_000); break;
                case "--seed": o.Seed = (ulong)ParseLong(a, Next(), 0, long.MaxValue); break;
                case "--quiet" or "-q": o.Quiet = true; break;
                default: throw new UsageException($"unknown argument '{a}' (try --help)");
            }
        }
        if (o.Help || o.SelfTest)
        {
            return o;
        }
        if (!requestsGiven && o.Duration is null)
        {
            o.Requests = 100_000;
        }
        o.Validate();
        return o;
    }

    private void Validate()
    {
        if (!TryLoopback(Host, out var address))
        {
            throw new UsageException($"--host '{Host}' refused: only loopback targets are allowed (127.0.0.0/8, ::1, localhost)");
        }
        Address = address;
        if (MaxDuration <= TimeSpan.Zero || MaxDuration > MaxMaxDuration)
        {
            throw new UsageException($"--max-duration must be in (0, {MaxMaxDuration.TotalSeconds:0}s]");
        }
        TimeSpan planned = (Duration ?? TimeSpan.Zero) + WarmupTime;
        if (planned >= MaxDuration)
        {
            throw new UsageException($"--duration + --warmup ({planned.TotalSeconds:0.###}s) must stay below --max-duration ({MaxDuration.TotalSeconds:0.###}s)");
        }
        if (StallTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
        {
            throw new UsageException("--timeout and --connect-timeout must be positive");
        }
        if (KeyPrefix is { } p && (p.Length > 200 || p.Any(ch => ch <= ' ' || ch > '~')))
        {
            throw new UsageException("--key-prefix must be printable ASCII without spaces, at most 200 characters");
        }
        if (InjectFaultEvery > 0 && !Verify)
        {
            throw new UsageException("--inject-fault-every only makes sense with --verify");
        }
    }

    /// <summary>Loopback only: 127.0.0.0/8, ::1 (also IPv4-mapped 127.x) or the literal name localhost (never resolved).</summary>
    public static bool TryLoopback(string host, out IPAddress address)
    {
        address = IPAddress.Loopback;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        string h = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        if (!IPAddress.TryParse(h, out var ip))
        {
            return false;
        }
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        bool ok = ip.AddressFamily == AddressFamily.InterNetwork
            ? ip.GetAddressBytes()[0] == 127
            : ip.Equals(IPAddress.IPv6Loopback);
        if (ok)
        {
            address = ip;
        }
        return ok;
    }

    public static MixEntry[] ParseMix(string text)
    {
        var list = new List<MixEntry>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] kv = part.Split(':');
            if (kv.Length is < 1 or > 2 || !OpNames.TryParse(kv[0], out var op))
            {
                throw new UsageException($"--mix: bad entry '{part}' (want op:weight, op one of set,get,mset,mget,incr,ping)");
            }
            int weight = kv.Length == 2 ? (int)ParseLong("--mix", kv[1], 0, 1_000_000) : 1;
            if (list.Any(m => m.Op == op))
            {
                throw new UsageException($"--mix: '{kv[0]}' given twice");
            }
            if (weight > 0)
            {
                list.Add(new MixEntry(op, weight));
            }
        }
        if (list.Count == 0)
        {
            throw new UsageException("--mix: no command with a positive weight");
        }
        return [.. list];
    }

    private static void ParseWarmup(Options o, string name, string value)
    {
        if (value.Length > 0 && char.IsDigit(value[^1]))
        {
            o.WarmupRequests = ParseLong(name, value, 0, 1_000_000_000);
            o.WarmupTime = TimeSpan.Zero;
        }
        else
        {
            o.WarmupTime = ParseDuration(name, value, allowZero: true);
            o.WarmupRequests = 0;
        }
    }

    public static long ParseLong(string name, string value, long min, long max)
    {
        string v = value.Replace("_", "", StringComparison.Ordinal);
        long mult = 1;
        if (v.EndsWith('k') || v.EndsWith('K')) { mult = 1_000; v = v[..^1]; }
        else if (v.EndsWith('m') || v.EndsWith('M')) { mult = 1_000_000; v = v[..^1]; }
        if (!long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n > max / mult || n * mult < min)
        {
            throw new UsageException($"{name}: '{value}' is not an integer in [{min}, {max}]");
        }
        return n * mult;
    }

    /// <summary>"10s", "500ms", "2m", "1h", "1.5s"; a bare number means seconds.</summary>
    public static TimeSpan ParseDuration(string name, string value, bool allowZero = false)
    {
        string v = value.Trim();
        double scale = 1;
        string[] units = ["ms", "s", "m", "h"];
        double[] scales = [0.001, 1, 60, 3600];
        for (int u = 0; u < units.Length; u++)
        {
            if (v.EndsWith(units[u], StringComparison.Ordinal))
            {
                scale = scales[u];
                v = v[..^units[u].Length];
                break;
            }
        }
        if (!double.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double x)
            || double.IsNaN(x) || x * scale > MaxMaxDuration.TotalSeconds || (!allowZero && x <= 0))
        {
            throw new UsageException($"{name}: '{value}' is not a duration (e.g. 10s, 500ms, 2m)");
        }
        return TimeSpan.FromSeconds(x * scale);
    }

    public static string Usage => """
        RespLoad - closed-loop RESP (Redis protocol) load generator, loopback targets only.

        Target and load
          --host H               127.0.0.0/8, ::1 or localhost only (default 127.0.0.1)
          --port N               default 6379
          --clients N  (-c)      connections (default 50)
          --pipeline N (-P)      requests in flight per connection (default 16), sent as one batch once the
                                 previous batch is fully answered (as redis-benchmark -P does)
          --window               sliding window instead: top the pipeline up again after every read
          --mix LIST             weighted ops: set,get,mset,mget,incr,ping (default set:50,get:50)
          --keys-per-multi N     keys per MSET/MGET (default 10)
          --keyspace N (-r)      random keys key:000000000000 .. N-1 (default 100000)
          --value-size N (-d)    value bytes (default 3; at least 43 with --verify)
          --key-prefix P         default "key:" (redis-benchmark's keys); "rlv:<run id>:" with --verify

        Bounds (the run always stops by itself)
          --requests N (-n)      measured requests, all connections together (default 100000)
          --duration T           measured time, e.g. 10s (with --requests: whichever comes first)
          --warmup T|N           warm-up, not measured: a duration (1s default) or a request count (0 = none)
          --max-duration T       hard cap of the whole run, default 120s (at most 1h); hitting it exits 4
          --timeout T            a connection with requests in flight and no reply for T fails (default 5s)
          --connect-timeout T    default 5s

        Checking
          --verify               check every reply against its request: SET/MSET values encode run id, key,
                                 connection id and sequence number, GET/MGET answers must be for the right key
                                 and from a SET/MSET that was sent; INCR counters (one per connection) must
                                 go up by exactly 1. Any mismatch is printed and makes the exit code 1.
          --no-verify            turn --verify off again (the last of the two wins)
          --inject-fault-every N corrupt every Nth reply before checking it (proves --verify catches faults)
          --self-test            feed good and corrupted replies through the checker and exit
          --max-reports N        mismatch details printed (default 20)

        Output
          --csv FILE             append one row per op (header written if the file is new/empty)
          --json FILE            write the full result as JSON
          --label TEXT           free text copied into CSV/JSON
          --seed N               workload seed (default random)
          --quiet (-q)           no progress lines on stderr

        Exit codes: 0 ok, 1 mismatches or error replies (wins over 3 and 4), 2 usage, 3 a connection refused,
                    closed, stalled or sent an unparseable reply, 4 stopped by --max-duration before the planned
                    requests were done.
        """;
}

public readonly record struct MixEntry(OpKind Op, int Weight);

public sealed class UsageException : Exception
{
    public UsageException() { }
    public UsageException(string message) : base(message) { }
    public UsageException(string message, Exception inner) : base(message, inner) { }
}
