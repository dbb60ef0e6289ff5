using System.Globalization;
using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace RespProxy.LoadTests;

/// <summary>Human table, CSV rows and JSON document of a <see cref="RunSummary"/>.</summary>
public static class Output
{
    private static readonly (string Name, double Percentile)[] Percentiles =
        [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9), ("max", 100)];

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Rows of the result: one per command of the mix, then "all".</summary>
    private static IEnumerable<(string Op, HistogramBase H)> Rows(RunSummary s)
    {
        foreach (var m in s.Options.Mix)
        {
            if (s.Latency[(int)m.Op] is { } h)
            {
                yield return (OpNames.Name(m.Op).ToUpperInvariant(), h);
            }
        }
        yield return ("ALL", s.Total);
    }

    public static void WriteTable(RunSummary s, TextWriter w)
    {
        Options o = s.Options;
        w.WriteLine();
        w.WriteLine($"RespLoad  target {o.Host}:{o.Port}  clients {o.Clients}  pipeline {o.Pipeline}  mix {o.MixText}" +
                    (o.HasOp(OpKind.MSet) || o.HasOp(OpKind.MGet) ? $"  keys/multi {o.KeysPerMulti}" : ""));
        w.WriteLine($"          keyspace {o.KeySpace} ({s.KeyPrefix}...)  value {s.ValueSize} B  verify {(o.Verify ? "on" : "off")}  seed {s.Seed}");
        w.WriteLine(string.Create(Inv, $"measured  {s.Requests:N0} requests in {s.ElapsedSeconds:0.000} s = {s.Rps:N0} req/s" +
                    $"  (warm-up {s.WarmupSeconds:0.0} s, {s.WarmupReplies:N0} replies, not counted)"));
        w.WriteLine();
        w.WriteLine($"{"op",-6} {"requests",12} {"req/s",12} {"p50 ms",9} {"p90 ms",9} {"p99 ms",9} {"p99.9 ms",9} {"max ms",9}");
        foreach (var (op, h) in Rows(s))
        {
            double rps = s.ElapsedSeconds > 0 ? h.TotalCount / s.ElapsedSeconds : 0;
            w.Write(string.Create(Inv, $"{op,-6} {h.TotalCount,12:N0} {rps,12:N0}"));
            foreach (var (_, p) in Percentiles)
            {
                w.Write(string.Create(Inv, $" {RunSummary.Ms(h, p),9:0.000}"));
            }
            w.WriteLine();
        }
        w.WriteLine();
        w.Write(string.Create(Inv, $"replies checked {s.TotalReplies:N0}: ok {s.Verdicts[(int)Verdict.Ok]:N0} (nil values {s.Nils:N0})"));
        w.WriteLine(string.Create(Inv, $", mismatches {s.Mismatches:N0}{Breakdown(s)}"));
        if (s.Injected > 0)
        {
            w.WriteLine($"injected faults {s.Injected:N0}: {(s.Mismatches >= s.Injected ? "all" : "NOT all")} detected");
        }
        w.WriteLine(string.Create(Inv, $"allocated {s.AllocatedBytes:N0} B while measuring = {s.AllocatedPerRequest:0.###} B/request, gen0 GCs {s.Gen0Collections}"));
        if (s.Clamped > 0)
        {
            w.WriteLine($"note: {s.Clamped} latencies above {ConnStats.HighestNs / 1e9:0} s were recorded as {ConnStats.HighestNs / 1e9:0} s");
        }
        if (s.StoppedByCap)
        {
            w.WriteLine($"STOPPED by --max-duration {o.MaxDuration.TotalSeconds:0.###}s");
        }
        if (s.Incomplete)
        {
            w.WriteLine($"INCOMPLETE: {s.Requests:N0} of {o.Requests:N0} planned requests measured");
        }
        foreach (string f in s.Failures.Take(10))
        {
            w.WriteLine($"FAILED {f}");
        }
        if (s.Failures.Count > 10)
        {
            w.WriteLine($"... and {s.Failures.Count - 10} more failed connections");
        }
    }

    private static string Breakdown(RunSummary s)
    {
        var parts = Enumerable.Range(1, VerdictNames.Count - 1)
            .Where(v => s.Verdicts[v] > 0)
            .Select(v => $"{VerdictNames.Name((Verdict)v)} {s.Verdicts[v]}")
            .ToList();
        return parts.Count == 0 ? "" : $" ({string.Join(", ", parts)})";
    }

    private const string CsvHeader =
        "timestamp,label,host,port,clients,pipeline,mix,keys_per_multi,keyspace,value_size,verify,op,requests,elapsed_s,rps," +
        "p50_ms,p90_ms,p99_ms,p999_ms,max_ms,mismatches,failed_connections,stopped_by_cap";

    /// <summary>Appends one row per op; writes the header first if the file is new or empty.</summary>
    public static void AppendCsv(RunSummary s, string path)
    {
        Options o = s.Options;
        bool header = !File.Exists(path) || new FileInfo(path).Length == 0;
        var sb = new StringBuilder();
        if (header)
        {
            sb.Append(CsvHeader).Append('\n');
        }
        string stamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", Inv);
        foreach (var (op, h) in Rows(s))
        {
            double rps = s.ElapsedSeconds > 0 ? h.TotalCount / s.ElapsedSeconds : 0;
            sb.Append(Inv, $"{stamp},{Csv(o.Label)},{o.Host},{o.Port},{o.Clients},{o.Pipeline},{Csv(o.MixText)},{o.KeysPerMulti},");
            sb.Append(Inv, $"{o.KeySpace},{s.ValueSize},{(o.Verify ? 1 : 0)},{op},{h.TotalCount},{s.ElapsedSeconds:0.######},{rps:0.#}");
            foreach (var (_, p) in Percentiles)
            {
                sb.Append(Inv, $",{RunSummary.Ms(h, p):0.####}");
            }
            sb.Append(Inv, $",{s.Mismatches},{s.Failures.Count},{(s.StoppedByCap ? 1 : 0)}\n");
        }
        File.AppendAllText(path, sb.ToString());
    }

    private static string Csv(string v) =>
        v.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v;

    public static void WriteJson(RunSummary s, string path)
    {
        Options o = s.Options;
        using var stream = File.Create(path);
        using var j = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        j.WriteStartObject();
        j.WriteString("timestamp", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", Inv));
        j.WriteString("label", o.Label);
        j.WriteStartObject("settings");
        j.WriteString("host", o.Host);
        j.WriteNumber("port", o.Port);
        j.WriteNumber("clients", o.Clients);
        j.WriteNumber("pipeline", o.Pipeline);
        j.WriteString("mix", o.MixText);
        j.WriteNumber("keys_per_multi", o.KeysPerMulti);
        j.WriteNumber("keyspace", o.KeySpace);
        j.WriteString("key_prefix", s.KeyPrefix);
        j.WriteNumber("value_size", s.ValueSize);
        j.WriteBoolean("verify", o.Verify);
        j.WriteNumber("planned_requests", o.Requests);
        j.WriteNumber("duration_s", o.Duration?.TotalSeconds ?? 0);
        j.WriteNumber("max_duration_s", o.MaxDuration.TotalSeconds);
        j.WriteNumber("seed", s.Seed);
        j.WriteEndObject();
        j.WriteNumber("requests", s.Requests);
        j.WriteNumber("elapsed_s", s.ElapsedSeconds);
        j.WriteNumber("rps", Math.Round(s.Rps, 1));
        j.WriteNumber("warmup_s", s.WarmupSeconds);
        j.WriteNumber("warmup_replies", s.WarmupReplies);
        j.WriteStartArray("ops");
        foreach (var (op, h) in Rows(s))
        {
            j.WriteStartObject();
            j.WriteString("op", op);
            j.WriteNumber("requests", h.TotalCount);
            j.WriteNumber("rps", Math.Round(s.ElapsedSeconds > 0 ? h.TotalCount / s.ElapsedSeconds : 0, 1));
            foreach (var (name, p) in Percentiles)
            {
                j.WriteNumber(name.Replace(".", "", StringComparison.Ordinal) + "_ms", Math.Round(RunSummary.Ms(h, p), 4));
            }
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteStartObject("verification");
        j.WriteNumber("replies", s.TotalReplies);
        j.WriteNumber("nil_values", s.Nils);
        j.WriteNumber("mismatches", s.Mismatches);
        for (int v = 1; v < VerdictNames.Count; v++)
        {
            j.WriteNumber(VerdictNames.Name((Verdict)v), s.Verdicts[v]);
        }
        j.WriteNumber("injected_faults", s.Injected);
        j.WriteEndObject();
        j.WriteNumber("allocated_bytes_per_request", Math.Round(s.AllocatedPerRequest, 4));
        j.WriteNumber("gen0_collections", s.Gen0Collections);
        j.WriteBoolean("stopped_by_max_duration", s.StoppedByCap);
        j.WriteBoolean("incomplete", s.Incomplete);
        j.WriteStartArray("failures");
        foreach (string f in s.Failures)
        {
            j.WriteStringValue(f);
        }
        j.WriteEndArray();
        j.WriteEndObject();
    }
}
