using System.Globalization;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>
/// Turns sentinel and redis replies into records. Sentinel describes instances as flat key/value arrays
/// ("name", "127.0.0.1:6380", "ip", "127.0.0.1", ...); a reply of the wrong shape throws <see cref="FormatException"/>.
/// </summary>
internal static class SentinelReplyParser
{
    /// <summary>A flat [key, value, key, value...] array (or RESP3 map, already flattened) as a dictionary.</summary>
    public static Dictionary<string, string> ToFields(RespReply reply)
    {
        ThrowIfError(reply);
        if (reply.Kind != RespReplyKind.Array || reply.Items.Count % 2 != 0)
        {
            throw new FormatException($"expected a flat key/value array, got {reply}");
        }

        var fields = new Dictionary<string, string>(reply.Items.Count / 2, StringComparer.Ordinal);
        for (int i = 0; i < reply.Items.Count; i += 2)
        {
            var key = reply.Items[i].AsString() ?? throw new FormatException($"field name {reply.Items[i]} is not a string");
            fields[key] = reply.Items[i + 1].AsString() ?? "";
        }

        return fields;
    }

    /// <summary>SENTINEL GET-MASTER-ADDR-BY-NAME: [ip, port], or null when sentinel knows no such master.</summary>
    public static ServerEndpoint? ParseMasterAddress(RespReply reply)
    {
        ThrowIfError(reply);
        if (reply.IsNull)
        {
            return null;
        }

        if (reply.Kind != RespReplyKind.Array || reply.Items.Count != 2)
        {
            throw new FormatException($"expected [ip, port], got {reply}");
        }

        return ToEndpoint(reply.Items[0].AsString(), reply.Items[1].AsString());
    }

    public static SentinelMasterInfo ParseMaster(RespReply reply)
    {
        var fields = ToFields(reply);
        fields.TryGetValue("ip", out var ip);
        fields.TryGetValue("port", out var port);
        ServerEndpoint? endpoint = ip is null || port is null ? null : ToEndpoint(ip, port);
        return new SentinelMasterInfo(
            fields.GetValueOrDefault("name", ""),
            endpoint,
            SentinelInstanceFlagsParser.Parse(fields.GetValueOrDefault("flags")),
            ParseLong(fields.GetValueOrDefault("config-epoch")) ?? 0);
    }

    /// <summary>SENTINEL REPLICAS (or SLAVES): an array of flat key/value arrays.</summary>
    public static IReadOnlyList<SentinelReplicaInfo> ParseReplicas(RespReply reply)
    {
        var replicas = new List<SentinelReplicaInfo>();
        foreach (var fields in ParseInstanceList(reply))
        {
            replicas.Add(new SentinelReplicaInfo(
                ToEndpoint(fields.GetValueOrDefault("ip"), fields.GetValueOrDefault("port")),
                SentinelInstanceFlagsParser.Parse(fields.GetValueOrDefault("flags")),
                fields.GetValueOrDefault("master-link-status", ""),
                ParseLong(fields.GetValueOrDefault("slave-repl-offset")),
                ParseLong(fields.GetValueOrDefault("master-link-down-time")) ?? 0));
        }

        return replicas;
    }

    /// <summary>SENTINEL SENTINELS: the other sentinels watching the master, with their run ids.</summary>
    public static IReadOnlyList<SentinelPeer> ParsePeers(RespReply reply)
    {
        var peers = new List<SentinelPeer>();
        foreach (var fields in ParseInstanceList(reply))
        {
            peers.Add(new SentinelPeer(
                ToEndpoint(fields.GetValueOrDefault("ip"), fields.GetValueOrDefault("port")),
                // A sentinel's instance name is its run id too; "runid" is the explicit field.
                fields.GetValueOrDefault("runid") is { Length: > 0 } runId ? runId : fields.GetValueOrDefault("name")));
        }

        return peers;
    }

    /// <summary>The run_id line of INFO server (a sentinel's identity, whatever address it is reached at).</summary>
    public static string? ParseRunId(RespReply reply)
    {
        ThrowIfError(reply);
        foreach (var line in (reply.AsString() ?? "").Split('\n'))
        {
            if (line.StartsWith("run_id:", StringComparison.Ordinal))
            {
                return line["run_id:".Length..].TrimEnd('\r');
            }
        }

        return null;
    }

    /// <summary>
    /// ROLE. Master: ["master", offset, [[ip, port, offset]...]]; replica: ["slave", ip, port, state, offset];
    /// sentinel: ["sentinel", [names]].
    /// </summary>
    public static RoleInfo ParseRole(RespReply reply)
    {
        ThrowIfError(reply);
        if (reply.Kind != RespReplyKind.Array || reply.Items.Count == 0)
        {
            throw new FormatException($"expected a ROLE array, got {reply}");
        }

        var items = reply.Items;
        string role = items[0].AsString() ?? throw new FormatException($"ROLE has no role name: {reply}");
        switch (role)
        {
            case "master":
                return new RoleInfo(role, items.Count > 1 && items[1].TryGetInt64(out long offset) ? offset : null, null, null);
            case "slave" when items.Count >= 5:
                return new RoleInfo(
                    role,
                    items[4].TryGetInt64(out long replicaOffset) ? replicaOffset : null,
                    ToEndpoint(items[1].AsString(), items[2].AsString()),
                    items[3].AsString());
            default:
                return new RoleInfo(role, null, null, null);
        }
    }

    /// <summary>INFO replication text ("# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n...").</summary>
    public static ReplicationInfo ParseInfoReplication(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] == '#' || colon <= 0)
            {
                continue;
            }

            fields[line[..colon]] = line[(colon + 1)..];
        }

        return new ReplicationInfo(
            fields.GetValueOrDefault("role", "unknown"),
            fields.GetValueOrDefault("master_link_status"),
            ParseLong(fields.GetValueOrDefault("slave_repl_offset")),
            ParseLong(fields.GetValueOrDefault("master_repl_offset")),
            SyncInProgress: fields.GetValueOrDefault("master_sync_in_progress") == "1",
            Loading: fields.GetValueOrDefault("loading") == "1");
    }

    /// <summary>
    /// Reads the group an event concerns. "+switch-master name oldip oldport newip newport" names it first; instance
    /// events read "&lt;type&gt; &lt;name&gt; &lt;ip&gt; &lt;port&gt;" followed, for replicas and sentinels, by "@ &lt;master&gt; &lt;ip&gt; &lt;port&gt;".
    /// </summary>
    public static SentinelEvent ParseEvent(string channel, string payload)
    {
        var words = payload.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string? group = null;
        if (channel == "+switch-master")
        {
            group = words.Length > 0 ? words[0] : null;
        }
        else
        {
            int at = Array.IndexOf(words, "@");
            if (at >= 0 && at + 1 < words.Length)
            {
                group = words[at + 1];
            }
            else if (words.Length > 1 && words[0] == "master")
            {
                group = words[1];
            }
        }

        return new SentinelEvent(channel, group, payload);
    }

    private static IEnumerable<Dictionary<string, string>> ParseInstanceList(RespReply reply)
    {
        ThrowIfError(reply);
        if (reply.Kind != RespReplyKind.Array)
        {
            throw new FormatException($"expected an array of instances, got {reply}");
        }

        return reply.Items.Select(ToFields);
    }

    private static ServerEndpoint ToEndpoint(string? host, string? port)
    {
        if (string.IsNullOrEmpty(host)
            || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            || number is < 1 or > 65535)
        {
            throw new FormatException($"'{host}' '{port}' is not an address");
        }

        return new ServerEndpoint(host, number);
    }

    private static long? ParseLong(string? text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) ? value : null;

    private static void ThrowIfError(RespReply reply)
    {
        if (reply.IsError)
        {
            throw new FormatException(reply.Text);
        }
    }
}
