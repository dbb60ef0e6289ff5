using RespProxy.Resp.Commands;
using RespProxy.Resp.Parsing;

namespace RespProxy.Routing;

/// <summary>
/// Where a request's keys are: the command table's fixed range, or, for commands whose keys move (EVAL's numkeys,
/// ZUNIONSTORE's numkeys, XREAD's STREAMS ...), read from the arguments as Redis's key specs describe them.
/// At most two ranges (ZUNIONSTORE: the destination, then the sources).
/// </summary>
internal readonly record struct KeyPositions(int First, int Last, int Step, int SecondFirst = 0, int SecondLast = -1)
{
    public static KeyPositions None => new(0, -1, 1);

    /// <summary>False when the command moves its keys in a way this proxy does not read (then it cannot be routed by key).</summary>
    public static bool TryGet(CommandInfo command, RespRequest request, out KeyPositions keys)
    {
        int count = request.ArgumentCount;
        if ((command.Flags & CommandFlags.MovableKeys) == 0)
        {
            keys = CommandTable.TryGetKeyRange(command, count, out int first, out int last, out int step) ? new(first, last, step) : None;
            return true;
        }

        switch (command.Name)
        {
            case "eval" or "evalsha" or "eval_ro" or "evalsha_ro" or "fcall" or "fcall_ro":
                return TryNumKeys(request, numKeysAt: 2, out keys);
            case "zunion" or "zinter" or "zdiff" or "zintercard" or "sintercard" or "lmpop" or "zmpop":
                return TryNumKeys(request, numKeysAt: 1, out keys);
            case "zunionstore" or "zinterstore" or "zdiffstore":
                if (TryNumKeys(request, numKeysAt: 2, out var sources))
                {
                    keys = new(1, 1, 1, sources.First, sources.Last);
                    return true;
                }

                break;
            case "xread" or "xreadgroup":
                for (int i = 1; i < count; i++)
                {
                    if (request.ArgumentEquals(i, "STREAMS"u8))
                    {
                        int streams = (count - i - 1) / 2;
                        keys = new(i + 1, i + streams, 1);
                        return streams > 0;
                    }
                }

                break;
            case "sort" or "sort_ro":
                // BY and GET patterns may name other keys; like Redis Cluster, route by the sorted key.
                keys = new(1, 1, 1);
                return true;
        }

        if (CommandTable.TryGetKeyRange(command, count, out int fixedFirst, out int fixedLast, out int fixedStep))
        {
            // The fixed part of a movable spec (GEORADIUS's key): the optional STORE key may differ.
            keys = new(fixedFirst, fixedLast, fixedStep);
            return true;
        }

        keys = None;
        return false;
    }

    private static bool TryNumKeys(RespRequest request, int numKeysAt, out KeyPositions keys)
    {
        keys = None;
        if (numKeysAt >= request.ArgumentCount || !request.TryGetInt64(numKeysAt, out long numKeys) || numKeys < 0
            || numKeysAt + numKeys >= request.ArgumentCount + (numKeys == 0 ? 1 : 0))
        {
            return false;
        }

        keys = new(numKeysAt + 1, numKeysAt + (int)numKeys, 1);
        return true;
    }
}
