using System.Buffers;
using System.Buffers.Text;
using RespProxy.Resp.Commands;
using RespProxy.Resp.Parsing;
using RespProxy.Routing;
using RespProxy.Topology.Cluster;

namespace RespProxy.Connections;

/// <summary>
/// MGET, MSET, DEL, UNLINK, EXISTS and TOUCH whose keys live in several presharded groups: one request per group,
/// replies merged back in the keys' order. The client sees one command and one reply, in its place in the pipeline.
/// </summary>
internal sealed partial class ClientSession
{
    private static MultiKeyCommand MultiKeyKindOf(CommandInfo command, RespRequest request) => command.Name switch
    {
        "mget" => MultiKeyCommand.Mget,

        // An MSET with a key lacking its value is left whole for Redis to refuse with its own words.
        "mset" when request.ArgumentCount % 2 == 1 => MultiKeyCommand.Mset,
        "del" or "unlink" or "exists" or "touch" => MultiKeyCommand.SumIntegers,
        _ => MultiKeyCommand.None,
    };

    private void Split(RoutingTable table, RespRequest request, MultiKeyCommand kind, PendingReply parent)
    {
        int step = kind == MultiKeyCommand.Mset ? 2 : 1;
        int keyCount = (request.ArgumentCount - 1) / step;
        var aggregate = parent.UseAggregate();
        aggregate.Start(parent, kind, keyCount, table.Groups.Count);
        for (int key = 0; key < keyCount; key++)
        {
            aggregate.AddKey(key, table.Snapshot.GroupIndexForSlot(HashSlot.Of(request.GetArgument(1 + (key * step)))));
        }

        for (int child = 0; child < aggregate.ChildCount; child++)
        {
            var slot = RentSlot();
            WriteHeader(slot.Request, '*', 1 + (aggregate.KeysInChild(child) * step));
            WriteBulk(slot.Request, request.GetArgument(0));
            aggregate.SetChild(child, slot);
        }

        for (int key = 0; key < keyCount; key++)
        {
            var buffer = aggregate.Child(aggregate.ChildOfKey(key)).Request;
            for (int part = 0; part < step; part++)
            {
                WriteBulk(buffer, request.GetArgument(1 + (key * step) + part));
            }
        }

        aggregate.Seal();
        bool isRead = kind == MultiKeyCommand.Mget || (kind == MultiKeyCommand.SumIntegers && IsReadOnlyCount(request));
        for (int child = 0; child < aggregate.ChildCount; child++)
        {
            var slot = aggregate.Child(child);
            var group = table.Group(aggregate.GroupOfChild(child));
            Send(slot, isRead ? group.RouteRead(slot, unchecked(_readSpin++), Id) : group.RouteToMaster(slot, Id));
        }
    }

    // EXISTS and TOUCH only read (TOUCH updates access times, harmless on a replica); DEL and UNLINK write.
    private static bool IsReadOnlyCount(RespRequest request) => request.ArgumentEquals(0, "EXISTS"u8);

    private static void WriteHeader(PooledBuffer buffer, char prefix, long value)
    {
        var span = buffer.GetSpan(24);
        span[0] = (byte)prefix;
        Utf8Formatter.TryFormat(value, span[1..], out int digits);
        span[digits + 1] = (byte)'\r';
        span[digits + 2] = (byte)'\n';
        buffer.Advance(digits + 3);
    }

    private static void WriteBulk(PooledBuffer buffer, in ReadOnlySequence<byte> value)
    {
        WriteHeader(buffer, '$', value.Length);
        buffer.Write(value);
        buffer.Write("\r\n"u8);
    }
}
