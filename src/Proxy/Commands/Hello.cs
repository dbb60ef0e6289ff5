using System.Buffers;
using System.Text;
using RespProxy.Connections;
using RespProxy.Hosting;
using RespProxy.Resp.Parsing;
using RespProxy.Resp.Writing;

namespace RespProxy.Commands;

/// <summary>
/// HELLO [protover [AUTH username password] [SETNAME clientname]]. The proxy speaks RESP2 for now, so HELLO 3 gets
/// Redis's NOPROTO and clients (StackExchange.Redis among them) fall back to RESP2.
/// </summary>
internal static class Hello
{
    public static void Execute(ClientSession session, ProxyRuntime runtime, RespRequest request, IBufferWriter<byte> reply)
    {
        if (request.ArgumentCount >= 2)
        {
            if (!request.TryGetInt64(1, out long protocol))
            {
                RespWriter.WriteError(reply, "ERR Protocol version is not an integer or out of range"u8);
                return;
            }

            if (protocol != 2)
            {
                RespWriter.WriteError(reply, "NOPROTO sorry, this protocol version is not supported"u8);
                return;
            }
        }

        string? newName = session.Name;
        for (int i = 2; i < request.ArgumentCount; i++)
        {
            int remaining = request.ArgumentCount - i - 1;
            if (request.ArgumentEquals(i, "AUTH"u8) && remaining >= 2)
            {
                if (!request.ArgumentEquals(i + 1, "DEFAULT"u8))
                {
                    RespWriter.WriteError(reply, "WRONGPASS invalid username-password pair or user is disabled."u8);
                    return;
                }

                i += 2;
            }
            else if (request.ArgumentEquals(i, "SETNAME"u8) && remaining >= 1)
            {
                if (!LocalCommands.TryReadClientName(request, i + 1, out newName))
                {
                    RespWriter.WriteError(reply, LocalCommands.ClientNameInvalid);
                    return;
                }

                i++;
            }
            else
            {
                var option = Encoding.Latin1.GetString(request.GetArgument(i)).Replace('\r', ' ').Replace('\n', ' ');
                RespWriter.WriteError(reply, Encoding.UTF8.GetBytes($"ERR Syntax error in HELLO option '{option}'"));
                return;
            }
        }

        session.Name = newName;
        var version = runtime.Router.Current.Group(0).Master?.Version ?? "7.0.0";
        RespWriter.WriteArrayHeader(reply, 14);
        RespWriter.WriteBulkString(reply, "server"u8);
        RespWriter.WriteBulkString(reply, "redis"u8);
        RespWriter.WriteBulkString(reply, "version"u8);
        RespWriter.WriteBulkString(reply, Encoding.ASCII.GetBytes(version));
        RespWriter.WriteBulkString(reply, "proto"u8);
        RespWriter.WriteInteger(reply, 2);
        RespWriter.WriteBulkString(reply, "id"u8);
        RespWriter.WriteInteger(reply, session.Id);
        RespWriter.WriteBulkString(reply, "mode"u8);
        RespWriter.WriteBulkString(reply, "standalone"u8);
        RespWriter.WriteBulkString(reply, "role"u8);
        RespWriter.WriteBulkString(reply, "master"u8);
        RespWriter.WriteBulkString(reply, "modules"u8);
        RespWriter.WriteArrayHeader(reply, 0);
    }
}
