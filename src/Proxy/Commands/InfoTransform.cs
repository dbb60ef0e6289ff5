using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using RespProxy.Connections;
using RespProxy.Hosting;
using RespProxy.Resp.Parsing;
using RespProxy.Resp.Writing;

namespace RespProxy.Commands;

/// <summary>
/// INFO through the proxy: a "# Proxy" section (version, uptime, clients, backends, topology) in front of the
/// backend's own INFO, so tools that parse INFO keep working and operators see both sides in one reply.
/// </summary>
internal sealed class InfoTransform(ProxyRuntime runtime) : IReplyTransform
{
    private static readonly string s_version =
        typeof(InfoTransform).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>True when the requested sections include the default set (no argument, default, all, everything).</summary>
    public static bool AppliesTo(RespRequest request)
    {
        if (request.ArgumentCount == 1)
        {
            return true;
        }

        for (int i = 1; i < request.ArgumentCount; i++)
        {
            if (request.ArgumentEquals(i, "DEFAULT"u8) || request.ArgumentEquals(i, "ALL"u8) || request.ArgumentEquals(i, "EVERYTHING"u8) || request.ArgumentEquals(i, "PROXY"u8))
            {
                return true;
            }
        }

        return false;
    }

    public void Apply(in ReadOnlySequence<byte> backendReply, IBufferWriter<byte> output)
    {
        if (!TryReadBulk(backendReply, out var body))
        {
            // An error (or anything unexpected) passes through unchanged.
            RespWriter.WriteRaw(output, backendReply);
            return;
        }

        var section = Encoding.UTF8.GetBytes(BuildSection() + "\r\n");
        var combined = new byte[section.Length + body.Length];
        section.CopyTo(combined, 0);
        body.CopyTo(combined.AsSpan(section.Length));
        RespWriter.WriteBulkString(output, combined);
    }

    // What the loops do, not only what was asked: where the kernel refuses io_uring they make plain calls (and log it).
    private static bool BatchesSystemCalls(ProxyOptions options) =>
        options.Transport == ProxyTransport.Epoll && options.BatchSystemCalls && Transport.SystemCallBatch.IsAvailable;

    public string BuildSection()
    {
        var table = runtime.Router.Current;
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.Append("# Proxy\r\n");
        text.Append("proxy_name:respproxy\r\n");
        text.Append(invariant, $"proxy_version:{s_version}\r\n");
        text.Append(invariant, $"proxy_uptime_in_seconds:{(long)Stopwatch.GetElapsedTime(runtime.StartedAt).TotalSeconds}\r\n");
        text.Append(invariant, $"proxy_connected_clients:{runtime.ConnectedClients}\r\n");
        text.Append(invariant, $"proxy_datacenter:{runtime.Options.DataCenter}\r\n");
        text.Append(invariant, $"proxy_gc_allocated_bytes:{GC.GetTotalAllocatedBytes(precise: false)}\r\n");
        text.Append(invariant, $"proxy_gc_collections:{GC.CollectionCount(0)}\r\n");
        text.Append(invariant, $"proxy_transport:{(runtime.Options.Transport == ProxyTransport.Epoll ? "epoll" : "sockets")}\r\n");
        text.Append(invariant, $"proxy_syscall_batching:{(BatchesSystemCalls(runtime.Options) ? "io_uring" : "off")}\r\n");
        text.Append(invariant, $"topology_mode:{table.Snapshot.Mode.ToString().ToLowerInvariant()}\r\n");
        text.Append(invariant, $"topology_version:{table.Snapshot.Version}\r\n");
        text.Append(invariant, $"topology_groups:{table.Snapshot.Groups.Length}\r\n");
        if (runtime.Sentinel?.Watcher is { } watcher)
        {
            text.Append(invariant, $"sentinels_known:{watcher.KnownSentinels.Count}\r\n");
            text.Append(invariant, $"sentinels_reachable:{watcher.ReachableSentinelCount}\r\n");
            text.Append(watcher.AllSentinelsDown ? "sentinel_status:all_down (serving the last known topology)\r\n" : "sentinel_status:ok\r\n");
            if (watcher.LastError is { } error)
            {
                text.Append(invariant, $"sentinel_last_error:{error.Replace('\r', ' ').Replace('\n', ' ')}\r\n");
            }
        }

        for (int g = 0; g < table.Groups.Count; g++)
        {
            var group = table.Groups[g];
            var readers = string.Join('|', group.ReadTiers.SelectMany(tier => tier.Servers.Select(server => $"{server.Endpoint}@{tier.Priority}")));
            text.Append(invariant, $"group{g}:name={group.Name},master={group.Master?.Endpoint.ToString() ?? "none"},read_policy={group.Policy},readers={readers},held={group.Hold.HeldCount}\r\n");
        }

        var servers = runtime.Backends.Servers;
        text.Append(invariant, $"backends:{servers.Length}\r\n");
        for (int i = 0; i < servers.Length; i++)
        {
            var server = servers[i];
            text.Append(invariant, $"backend{i}:addr={server.Endpoint},master={(server.AcceptsWrites ? 1 : 0)},readable={(server.IsReadable ? 1 : 0)},connections={server.ConnectedCount},version={server.Version ?? "unknown"}\r\n");
        }

        return text.ToString();
    }

    private static bool TryReadBulk(in ReadOnlySequence<byte> reply, out ReadOnlySequence<byte> body)
    {
        body = default;
        var reader = new SequenceReader<byte>(reply);
        if (!reader.TryRead(out byte type) || type != (byte)'$' || !reader.TryReadTo(out ReadOnlySpan<byte> header, "\r\n"u8))
        {
            return false;
        }

        if (!Utf8Parser.TryParse(header, out int length, out _) || length < 0 || reader.Remaining < length + 2)
        {
            return false;
        }

        body = reply.Slice(reader.Position, length);
        return true;
    }

    /// <summary>INFO PROXY alone: answered without asking a backend.</summary>
    public static bool IsProxyOnly(RespRequest request) => request.ArgumentCount == 2 && request.ArgumentEquals(1, "PROXY"u8);
}
