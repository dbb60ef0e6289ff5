using System.Text;
using RespProxy.Resp.Commands;
using RespProxy.Resp.Parsing;

namespace RespProxy.Commands;

/// <summary>Command-level error texts (no '-' and no CRLF) in Redis 7.0's own words where Redis has them.</summary>
internal static class CommandErrors
{
    private const int MaxEchoedLength = 128;

    /// <summary>A multi-key command the proxy cannot split whose keys live in different presharded groups.</summary>
    public static ReadOnlySpan<byte> CrossGroup => "CROSSSLOT Keys in request don't hash to the same group (use {hash tags} to keep them together)"u8;

    public static ReadOnlySpan<byte> ClusterDisabled => "ERR This instance has cluster support disabled"u8;

    public static ReadOnlySpan<byte> NotInteger => "ERR value is not an integer or out of range"u8;

    public static ReadOnlySpan<byte> Syntax => "ERR syntax error"u8;

    public static byte[] NotRoutableAcrossGroups(CommandInfo command)
        => Encoding.UTF8.GetBytes($"ERR '{command.Name.ToUpperInvariant()}' is not supported by RespProxy across presharded groups: its keys (or the whole keyspace) would span groups");

    public static byte[] WrongArity(CommandInfo command)
        => Encoding.UTF8.GetBytes($"ERR wrong number of arguments for '{command.Name}' command");

    /// <summary>"ERR unknown command 'x', with args beginning with: 'a' 'b' " as Redis 7.0 words it.</summary>
    public static byte[] UnknownCommand(RespRequest request)
    {
        var text = new StringBuilder("ERR unknown command '");
        text.Append(Echo(request, 0, MaxEchoedLength)).Append("', with args beginning with: ");
        int argumentsStart = text.Length;
        for (int i = 1; i < request.ArgumentCount && text.Length - argumentsStart < MaxEchoedLength; i++)
        {
            text.Append('\'').Append(Echo(request, i, MaxEchoedLength - (text.Length - argumentsStart))).Append("' ");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static byte[] UnknownSubcommand(RespRequest request, CommandInfo container)
        => Encoding.UTF8.GetBytes($"ERR unknown subcommand '{Echo(request, 1, MaxEchoedLength)}'. Try {container.Name.ToUpperInvariant()} HELP.");

    // An argument as Redis prints it in an error: at most maxLength bytes, no CR or LF (they would end the reply).
    private static string Echo(RespRequest request, int index, int maxLength)
    {
        var argument = request.GetArgument(index);
        if (argument.Length > maxLength)
        {
            argument = argument.Slice(0, maxLength);
        }

        return Encoding.Latin1.GetString(argument).Replace('\r', ' ').Replace('\n', ' ');
    }
}
