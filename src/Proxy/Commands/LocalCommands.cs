using System.Buffers;
using System.Text;
using RespProxy.Connections;
using RespProxy.Hosting;
using RespProxy.Resp.Commands;
using RespProxy.Resp.Parsing;
using RespProxy.Resp.Writing;

namespace RespProxy.Commands;

/// <summary>
/// Commands the proxy answers itself because their state belongs to the client's connection, not to the backend
/// connection it shares with everyone: PING, ECHO, QUIT, HELLO, SELECT, AUTH, RESET, CLIENT SETNAME/GETNAME/ID and the
/// cluster-only commands that a standalone Redis refuses.
/// </summary>
internal static class LocalCommands
{
    /// <summary>Writes the reply; returns false when the connection closes after it (QUIT).</summary>
    public static bool Execute(ClientSession session, ProxyRuntime runtime, CommandInfo command, RespRequest request, IBufferWriter<byte> reply)
    {
        switch (command.Name)
        {
            case "ping":
                Ping(request, reply);
                return true;
            case "echo":
                RespWriter.WriteBulkString(reply, request.GetArgument(1));
                return true;
            case "quit":
                RespWriter.WriteSimpleString(reply, "OK"u8);
                return false;
            case "hello":
                Hello.Execute(session, runtime, request, reply);
                return true;
            case "select":
                Select(request, reply);
                return true;
            case "auth":
                Auth(request, reply);
                return true;
            case "reset":
                session.Name = null;
                RespWriter.WriteSimpleString(reply, "RESET"u8);
                return true;
            case "client|setname":
                ClientSetName(session, request, reply);
                return true;
            case "client|getname":
                if (session.Name is null)
                {
                    RespWriter.WriteNullBulk(reply);
                }
                else
                {
                    RespWriter.WriteBulkString(reply, Encoding.UTF8.GetBytes(session.Name));
                }

                return true;
            case "client|id":
                RespWriter.WriteInteger(reply, session.Id);
                return true;
            default:
                // READONLY, READWRITE, ASKING and CLUSTER ...: what a Redis without cluster mode says.
                RespWriter.WriteError(reply, CommandErrors.ClusterDisabled);
                return true;
        }
    }

    private static void Ping(RespRequest request, IBufferWriter<byte> reply)
    {
        if (request.ArgumentCount > 2)
        {
            RespWriter.WriteError(reply, "ERR wrong number of arguments for 'ping' command"u8);
        }
        else if (request.ArgumentCount == 2)
        {
            RespWriter.WriteBulkString(reply, request.GetArgument(1));
        }
        else
        {
            RespWriter.WriteSimpleString(reply, "PONG"u8);
        }
    }

    private static void Select(RespRequest request, IBufferWriter<byte> reply)
    {
        if (!request.TryGetInt64(1, out long database))
        {
            RespWriter.WriteError(reply, CommandErrors.NotInteger);
        }
        else if (database != 0)
        {
            RespWriter.WriteError(reply, "ERR RespProxy serves database 0 only"u8);
        }
        else
        {
            RespWriter.WriteSimpleString(reply, "OK"u8);
        }
    }

    // No password is configured (security arrives with its own issue): answer as a Redis whose default user is
    // "nopass" does.
    private static void Auth(RespRequest request, IBufferWriter<byte> reply)
    {
        if (request.ArgumentCount == 2)
        {
            RespWriter.WriteError(reply, "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"u8);
        }
        else if (request.ArgumentCount == 3 && request.ArgumentEquals(1, "DEFAULT"u8))
        {
            RespWriter.WriteSimpleString(reply, "OK"u8);
        }
        else if (request.ArgumentCount == 3)
        {
            RespWriter.WriteError(reply, "WRONGPASS invalid username-password pair or user is disabled."u8);
        }
        else
        {
            RespWriter.WriteError(reply, CommandErrors.Syntax);
        }
    }

    private static void ClientSetName(ClientSession session, RespRequest request, IBufferWriter<byte> reply)
    {
        if (!TryReadClientName(request, 2, out string? name))
        {
            RespWriter.WriteError(reply, ClientNameInvalid);
            return;
        }

        session.Name = name;
        RespWriter.WriteSimpleString(reply, "OK"u8);
    }

    public static ReadOnlySpan<byte> ClientNameInvalid => "ERR Client names cannot contain spaces, newlines or special characters."u8;

    /// <summary>Reads a client name as Redis validates it (printable ASCII, no spaces); empty clears the name.</summary>
    public static bool TryReadClientName(RespRequest request, int index, out string? name)
    {
        var bytes = request.GetArgument(index).ToArray();
        foreach (byte value in bytes)
        {
            if (value < '!' || value > '~')
            {
                name = null;
                return false;
            }
        }

        name = bytes.Length == 0 ? null : Encoding.ASCII.GetString(bytes);
        return true;
    }
}
