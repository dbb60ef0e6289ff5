namespace RespProxy.Resp.Commands;

/// <summary>
/// Static metadata of one Redis command (or subcommand), as a Redis 7.0 server prints it in COMMAND INFO:
/// arity (negative = at least |arity| arguments, the command name included), flags and the legacy key positions.
/// </summary>
/// <param name="Name">Lower-case name as Redis prints it; subcommands as "client|setname".</param>
/// <param name="Arity">Redis arity: N = exactly N arguments, -N = at least N, the command name counted.</param>
/// <param name="Flags">Routing-relevant flags.</param>
/// <param name="FirstKey">Index of the first key argument (0 = no keys).</param>
/// <param name="LastKey">Index of the last key argument; negative counts from the end (-1 = last argument).</param>
/// <param name="KeyStep">Distance between key arguments (MSET: 2).</param>
public sealed record CommandInfo(string Name, int Arity, CommandFlags Flags, int FirstKey, int LastKey, int KeyStep)
{
    /// <summary>Subcommands of a container command (CLIENT, CONFIG, ...), keyed by their lower-case second word.</summary>
    public IReadOnlyDictionary<string, CommandInfo>? Subcommands { get; init; }

    /// <summary>
    /// Dense id, unique among commands and subcommands (below <see cref="CommandTable.IdCount"/>): a top-level command's
    /// is its index in <see cref="CommandTable.All"/>. Stable only within one build of the table.
    /// </summary>
    public ushort Id { get; init; }

    public bool HasKeys => FirstKey > 0;

    /// <summary>True when <paramref name="argumentCount"/> (command name included) satisfies the arity.</summary>
    public bool AcceptsArgumentCount(int argumentCount)
        => Arity >= 0 ? argumentCount == Arity : argumentCount >= -Arity;
}
