using System.Buffers;
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
        if (!request.TryCopyArgument(0, name, out int nameLength) || !CommandTable.TryGet(name[..nameLength], out command!))
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

    private void Forward(RespRequest request, CommandInfo command)
    {
        var table = _runtime.Router.Current;
        var slot = RentSlot();
        slot.Request.Write(request.Frame);
        if (ReferenceEquals(command, s_info) && InfoTransform.AppliesTo(request))
        {
            slot.Transform = _runtime.Info;
        }

        Append(slot);
        BackendServer? server;
        if (table.IsSingleGroup)
        {
            server = table.MasterOfGroup(0);
        }
        else
        {
            int hashSlot = KeySlot(request, command);
            if (hashSlot == HashSlot.MultipleSlots)
            {
                slot.CompleteWithError(CommandErrors.CrossSlot);
                return;
            }

            server = hashSlot == HashSlot.NoSlot ? table.MasterOfGroup(0) : table.MasterOfSlot(hashSlot);
        }

        if (server is null)
        {
            slot.CompleteWithError(CommandErrors.NoMaster);
            return;
        }

        var connection = server.GetConnection(Id);
        if (connection is null)
        {
            slot.CompleteWithError(server.UnavailableReply);
            return;
        }

        connection.Enqueue(slot);
        Touch(connection);
    }

    private static int KeySlot(RespRequest request, CommandInfo command)
    {
        int combined = HashSlot.NoSlot;
        if (CommandTable.TryGetKeyRange(command, request.ArgumentCount, out int first, out int last, out int step))
        {
            for (int i = first; i <= last && i < request.ArgumentCount; i += step)
            {
                combined = HashSlot.Combine(combined, HashSlot.Of(request.GetArgument(i)));
            }
        }

        return combined;
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
