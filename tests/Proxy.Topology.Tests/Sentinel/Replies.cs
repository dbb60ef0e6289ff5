using System.Text;
using RespProxy.Topology.Sentinel;

namespace RespProxy.Topology.Tests.Sentinel;

/// <summary>Builds replies the way they arrive: RESP bytes decoded by the watcher's own reader.</summary>
internal static class Replies
{
    public static RespReply Parse(string wire) => RespReplyReader.Read(Encoding.UTF8.GetBytes(wire));

    /// <summary>A RESP2 array of bulk strings, e.g. a flat key/value instance description.</summary>
    public static string BulkArray(params string[] items)
    {
        var builder = new StringBuilder().Append('*').Append(items.Length).Append("\r\n");
        foreach (var item in items)
        {
            builder.Append('$').Append(Encoding.UTF8.GetByteCount(item)).Append("\r\n").Append(item).Append("\r\n");
        }

        return builder.ToString();
    }

    public static string Bulk(string text) => $"${Encoding.UTF8.GetByteCount(text)}\r\n{text}\r\n";

    public static string Array(params string[] encodedItems) => $"*{encodedItems.Length}\r\n" + string.Concat(encodedItems);

    /// <summary>One SENTINEL REPLICAS entry with the fields redis 7 sends (values as sentinel formats them).</summary>
    public static string ReplicaEntry(
        string ip, int port, string flags, string linkStatus = "ok", long offset = 12345, long linkDownTime = 0) =>
        BulkArray(
            "name", $"{ip}:{port}",
            "ip", ip,
            "port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "runid", "4c5b0f6c0c6d4a4a8f3a1c0a1e2d3c4b5a697887",
            "flags", flags,
            "link-pending-commands", "0",
            "link-refcount", "1",
            "last-ping-sent", "0",
            "last-ok-ping-reply", "181",
            "last-ping-reply", "181",
            "down-after-milliseconds", "1000",
            "info-refresh", "2915",
            "role-reported", "slave",
            "role-reported-time", "42088",
            "master-link-down-time", linkDownTime.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "master-link-status", linkStatus,
            "master-host", "127.0.0.1",
            "master-port", "6379",
            "slave-priority", "100",
            "slave-repl-offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "replica-announced", "1");
}
