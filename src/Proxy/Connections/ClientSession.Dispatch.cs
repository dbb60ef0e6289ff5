using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using RespProxy.Backends;
using RespProxy.Commands;
using RespProxy.Resp.Commands;
using RespProxy.Resp.Parsing;
using RespProxy.Resp.Writing;
using RespProxy.Routing;
using RespProxy.Topology.Cluster;

namespace RespProxy.Connections;

/// <summary>Per request: resolve the command, check its arity, then answer, refuse or forward it.</summary>
internal sealed partial class ClientSession
{
    private static readonly CommandInfo s_info = CommandTable.TryGet("info", out var info) ? info : throw new InvalidOperationException("INFO missing from the command table.");

    // Returns false when the connection must close after the replies queued so far (QUIT).
    private bool Dispatch(RespRequest request)
    {
        if (!TryResolve(request, out var command))
        {
            return true;
        }

        switch (_runtime.Policy.Route(command, out var rejection))
        {
            case CommandRoute.Local:
                var slot = RentSlot();
                bool keepOpen = LocalCommands.Execute(this, _runtime, command, request, slot.Reply);
                slot.CloseAfter = !keepOpen;
                slot.MarkDone();
                Append(slot);
                return keepOpen;
            case CommandRoute.Reject:
                ReplyError(rejection);
                return true;
            default:
                if (command.Flags.HasFlag(CommandFlags.Blocking) && HasBlockOption(request))
                {
                    ReplyError(Encoding.UTF8.GetBytes($"ERR '{command.Name.ToUpperInvariant()} BLOCK' is not supported by RespProxy: a blocking command would stall a backend connection shared by all clients"));
                    return true;
                }

                if (ReferenceEquals(command, s_info) && InfoTransform.IsProxyOnly(request))
                {
                    var info = RentSlot();
                    RespWriter.WriteBulkString(info.Reply, Encoding.UTF8.GetBytes(_runtime.Info.BuildSection()));
                    info.MarkDone();
                    Append(info);
                    return true;
                }

                Forward(request, command);
                return true;
        }
    }

    private bool TryResolve(RespRequest request, out CommandInfo command)
    {
        Span<byte> name = stackalloc byte[CommandTable.MaxNameLength];
        ReadOnlySpan<byte> commandName = request.TryGetArgumentSpan(0, out var inPlace) ? inPlace
            : request.TryCopyArgument(0, name, out int nameLength) ? name[..nameLength] : default;
        if (!TryLookUp(commandName, out command!))
        {
            ReplyError(CommandErrors.UnknownCommand(request));
            command = null!;
            return false;
        }

        if (command.Subcommands is not null && request.ArgumentCount >= 2)
        {
            if (!request.TryCopyArgument(1, name, out int subLength) || !CommandTable.TryGetSubcommand(command, name[..subLength], out var subcommand))
            {
                ReplyError(CommandErrors.UnknownSubcommand(request, command));
                return false;
            }

            command = subcommand;
        }

        if (!command.AcceptsArgumentCount(request.ArgumentCount))
        {
            ReplyError(CommandErrors.WrongArity(command));
            return false;
        }

        return true;
    }

    // The previous command name exactly as the client sent it (up to 8 bytes, packed) and what it resolved to: clients
    // mostly repeat a few commands, so most lookups end with one compare instead of a hash probe.
    private ulong _lastName;
    private int _lastNameLength;
    private CommandInfo? _lastCommand;

    private bool TryLookUp(ReadOnlySpan<byte> name, out CommandInfo? command)
    {
        if (name.Length is 0 or > sizeof(ulong))
        {
            return CommandTable.TryGet(name, out command);
        }

        ulong packed = Pack(name);
        if (packed == _lastName && name.Length == _lastNameLength && _lastCommand is { } cached)
        {
            command = cached;
            return true;
        }

        if (!CommandTable.TryGet(name, out command))
        {
            return false;
        }

        _lastName = packed;
        _lastNameLength = name.Length;
        _lastCommand = command;
        return true;
    }

    // Packs a name of 1 to 8 bytes into one number with two overlapping loads instead of a copy (a call, for a
    // variable length). The loads cover every byte, so two names of the same length are equal exactly when their packs are.
    private static ulong Pack(ReadOnlySpan<byte> name)
    {
        ref byte first = ref MemoryMarshal.GetReference(name);
        int length = name.Length;
        if (length >= sizeof(uint))
        {
            return Unsafe.ReadUnaligned<uint>(ref first) | ((ulong)Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref first, length - sizeof(uint))) << 32);
        }

        if (length >= sizeof(ushort))
        {
            return Unsafe.ReadUnaligned<ushort>(ref first) | ((ulong)Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref first, length - sizeof(ushort))) << 16);
        }

        return first;
    }

    private void Forward(RespRequest request, CommandInfo command)
    {
        var table = _runtime.Router.Current;
        var slot = RentSlot();
        var frame = request.Frame;
        bool large = frame.Length > WriteNowMinimum;
        if (!large)
        {
            slot.Request.Write(frame);
        }

        if (ReferenceEquals(command, s_info) && InfoTransform.AppliesTo(request))
        {
            slot.Transform = _runtime.Info;
        }

        Append(slot);
        GroupRoute group;
        if (table.IsSingleGroup)
        {
            group = table.Group(0);
        }
        else
        {
            int groupIndex = KeyGroup(table, request, command);
            if (groupIndex == Unroutable)
            {
                slot.CompleteWithError(CommandErrors.NotRoutableAcrossGroups(command));
                return;
            }

            if (groupIndex == MultipleGroups)
            {
                var kind = MultiKeyKindOf(command, request);
                if (kind == MultiKeyCommand.None)
                {
                    slot.CompleteWithError(CommandErrors.CrossGroup);
                    return;
                }

                Split(table, request, kind, slot);
                return;
            }

            group = table.Group(groupIndex == NoKeys ? 0 : groupIndex);
        }

        bool isRead = (command.Flags & (CommandFlags.ReadOnly | CommandFlags.Write)) == CommandFlags.ReadOnly;
        if (large)
        {
            if (!isRead && TryWriteNowToMaster(group, slot, frame))
            {
                return;
            }

            slot.Request.Write(frame);
        }

        var connection = isRead ? group.RouteRead(slot, unchecked(_readSpin++), Id) : group.RouteToMaster(slot, Id);
        Send(slot, connection);
    }

    // Requests larger than what a backend batch stages skip the copy into their slot when they can
    // (BackendConnection.TryWriteNow): sent from this client's input blocks, or copied from them into the output once.
    private const int WriteNowMinimum = 16 * 1024;

    // The write goes to an open master (no hold) at once, or returns false with nothing written (the caller copies the
    // request into its slot and routes it as usual: it may then be held and sent later, which needs the copy).
    private bool TryWriteNowToMaster(GroupRoute group, PendingReply slot, in ReadOnlySequence<byte> frame) =>
        group.RouteToOpenMaster(slot, Id) is { } routed && _stickyConnections.Choose(routed, slot).TryWriteNow(slot, frame);

    private void Send(PendingReply slot, BackendConnection? connection)
    {
        if (connection is not null)
        {
            connection = _stickyConnections.Choose(connection, slot);
            connection.Enqueue(slot);
            Touch(connection);
        }
    }

    private const int NoKeys = -1;
    private const int MultipleGroups = -2;
    private const int Unroutable = -3;

    // The group every key of the command belongs to, NoKeys, MultipleGroups, or Unroutable (keys the proxy cannot
    // find, or a keyless command over the whole keyspace, whose answer would cover one group only). Presharded groups
    // are independent servers, so keys on different slots of one group may still go together.
    private static int KeyGroup(RoutingTable table, RespRequest request, CommandInfo command)
    {
        if (!KeyPositions.TryGet(command, request, out var keys))
        {
            return Unroutable;
        }

        int combined = NoKeys;
        AddKeys(table, request, keys.First, keys.Last, keys.Step, ref combined);
        AddKeys(table, request, keys.SecondFirst, keys.SecondLast, 1, ref combined);
        if (combined == NoKeys && (command.Flags & CommandFlags.Keyspace) != 0)
        {
            return Unroutable;
        }

        return combined;
    }

    private static void AddKeys(RoutingTable table, RespRequest request, int first, int last, int step, ref int combined)
    {
        for (int i = first; i <= last && i < request.ArgumentCount && combined != MultipleGroups; i += step)
        {
            int group = table.Snapshot.GroupIndexForSlot(HashSlot.Of(request.GetArgument(i)));
            combined = combined == NoKeys || combined == group ? group : MultipleGroups;
        }
    }

    private static bool HasBlockOption(RespRequest request)
    {
        for (int i = 1; i < request.ArgumentCount; i++)
        {
            if (request.ArgumentEquals(i, "BLOCK"u8))
            {
                return true;
            }
        }

        return false;
    }

    private void ReplyError(ReadOnlySpan<byte> text)
    {
        var slot = RentSlot();
        RespWriter.WriteError(slot.Reply, text);
        slot.MarkDone();
        Append(slot);
    }
}
