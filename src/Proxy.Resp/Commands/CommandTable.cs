using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace RespProxy.Resp.Commands;

/// <summary>
/// The static Redis 7.0 command table (data in CommandTable.Generated.cs, produced by tools/gen-command-table.py).
/// Lookups are ASCII case-insensitive like Redis's own and do not allocate.
/// </summary>
public static partial class CommandTable
{
    /// <summary>Longest command or subcommand name a lookup will consider; longer names miss without a lookup.</summary>
    public const int MaxNameLength = 64;

    private static readonly CommandInfo[] s_all = CreateAll();

    private static readonly FrozenDictionary<string, CommandInfo> s_byName =
        s_all.ToFrozenDictionary(static c => c.Name, StringComparer.OrdinalIgnoreCase);

    private static readonly CommandNameIndex s_byNameBytes = new(s_byName);

    private static int s_idCount;

    /// <summary>Number of command ids: every <see cref="CommandInfo.Id"/>, subcommands included, is below it.</summary>
    public static int IdCount => s_idCount;

    /// <summary>Every top-level command, sorted by name; <c>All[i].Id == i</c>.</summary>
    public static IReadOnlyList<CommandInfo> All { get; } = Array.AsReadOnly(s_all);

    /// <summary>Looks a command up by its (ASCII, case-insensitive) name as it arrives on the wire.</summary>
    public static bool TryGet(ReadOnlySpan<byte> name, [MaybeNullWhen(false)] out CommandInfo info)
    {
        if (name.Length is 0 or > MaxNameLength)
        {
            info = null;
            return false;
        }

        return s_byNameBytes.TryGet(name, out info);
    }

    /// <summary>Looks a command up by name, case-insensitively (ASCII only, like Redis).</summary>
    public static bool TryGet(string name, [MaybeNullWhen(false)] out CommandInfo info)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > MaxNameLength || !Ascii.IsValid(name))
        {
            info = null;
            return false;
        }

        return s_byName.TryGetValue(name, out info);
    }

    /// <summary>
    /// Looks up the subcommand of <paramref name="container"/> (CLIENT, CONFIG, ...) named by the second argument
    /// of a request, e.g. "SETNAME" for "CLIENT SETNAME". Misses when the command has no subcommands.
    /// </summary>
    public static bool TryGetSubcommand(CommandInfo container, ReadOnlySpan<byte> subcommand, [MaybeNullWhen(false)] out CommandInfo info)
    {
        ArgumentNullException.ThrowIfNull(container);
        info = null;
        if (container.Subcommands is not { } subcommands)
        {
            return false;
        }

        Span<char> chars = stackalloc char[MaxNameLength];
        if (!TryDecodeName(subcommand, chars, out int length))
        {
            return false;
        }

        return TryGetSubcommand(subcommands, chars[..length], out info);
    }

    /// <summary>String overload of <see cref="TryGetSubcommand(CommandInfo, ReadOnlySpan{byte}, out CommandInfo)"/>.</summary>
    public static bool TryGetSubcommand(CommandInfo container, string subcommand, [MaybeNullWhen(false)] out CommandInfo info)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(subcommand);
        info = null;
        if (container.Subcommands is not { } subcommands
            || subcommand.Length is 0 or > MaxNameLength
            || !Ascii.IsValid(subcommand))
        {
            return false;
        }

        return TryGetSubcommand(subcommands, subcommand.AsSpan(), out info);
    }

    /// <summary>
    /// Resolves the legacy (first, last, step) key positions of <paramref name="info"/> for a request of
    /// <paramref name="argumentCount"/> arguments (the command name is argument 0, as in Redis): a negative
    /// <see cref="CommandInfo.LastKey"/> counts from the end (-1 = last argument, -2 = the one before, as in BLPOP's
    /// timeout), and <paramref name="last"/> is moved back onto the last position the step actually reaches
    /// (MSET k v k v k v: 1..5 step 2). Returns false when the command declares no fixed keys or the request is too
    /// short to hold them. Commands with <see cref="CommandFlags.MovableKeys"/> may have keys outside this range
    /// (or, like EVAL, only there), so callers must parse those themselves.
    /// </summary>
    public static bool TryGetKeyRange(CommandInfo info, int argumentCount, out int first, out int last, out int step)
    {
        ArgumentNullException.ThrowIfNull(info);
        first = info.FirstKey;
        step = info.KeyStep;
        last = info.LastKey >= 0 ? info.LastKey : argumentCount + info.LastKey;
        if (first <= 0 || step <= 0 || last < first || last >= argumentCount)
        {
            first = last = step = 0;
            return false;
        }

        last = first + ((last - first) / step * step);
        return true;
    }

    private static bool TryGetSubcommand(IReadOnlyDictionary<string, CommandInfo> subcommands, ReadOnlySpan<char> name, [MaybeNullWhen(false)] out CommandInfo info)
    {
        if (subcommands is FrozenDictionary<string, CommandInfo> frozen
            && frozen.TryGetAlternateLookup<ReadOnlySpan<char>>(out var frozenLookup))
        {
            return frozenLookup.TryGetValue(name, out info);
        }

        if (subcommands is Dictionary<string, CommandInfo> dictionary
            && dictionary.TryGetAlternateLookup<ReadOnlySpan<char>>(out var lookup))
        {
            return lookup.TryGetValue(name, out info);
        }

        // A hand-built CommandInfo with some other dictionary: keys are lower case by contract.
        return subcommands.TryGetValue(string.Create(name.Length, name, static (dst, src) => src.ToLowerInvariant(dst)), out info);
    }

    /// <summary>ASCII bytes to chars; false for empty, too long or non-ASCII names (which match no command).</summary>
    private static bool TryDecodeName(ReadOnlySpan<byte> name, Span<char> chars, out int length)
    {
        length = name.Length;
        return name.Length is > 0 and <= MaxNameLength
            && Ascii.ToUtf16(name, chars, out length) == OperationStatus.Done;
    }

    private static CommandInfo[] CreateAll()
    {
        CommandInfo[] commands = CreateGeneratedCommands();
        if (commands.Length > ushort.MaxValue + 1)
        {
            throw new InvalidOperationException("Too many commands for a ushort id.");
        }

        // Top-level commands take ids 0..n-1 (All[i].Id == i), their subcommands the ids after them.
        int nextId = commands.Length;
        for (int i = 0; i < commands.Length; i++)
        {
            var subcommands = commands[i].Subcommands?.ToFrozenDictionary(
                static pair => pair.Key,
                pair => pair.Value with { Id = checked((ushort)nextId++) },
                StringComparer.OrdinalIgnoreCase);
            commands[i] = commands[i] with { Id = (ushort)i, Subcommands = subcommands };
        }

        s_idCount = nextId;
        return commands;
    }

    /// <summary>Used by the generated table: subcommands keyed by their lower-case second word ("setname").</summary>
    private static FrozenDictionary<string, CommandInfo> CreateSubcommands(params CommandInfo[] subcommands)
        => subcommands.ToFrozenDictionary(static s => SubcommandKey(s.Name), StringComparer.OrdinalIgnoreCase);

    private static string SubcommandKey(string name)
    {
        int bar = name.IndexOf('|', StringComparison.Ordinal);
        if (bar <= 0 || bar == name.Length - 1)
        {
            throw new InvalidOperationException($"Subcommand name '{name}' is not of the form 'container|sub'.");
        }

        return name[(bar + 1)..].ToLowerInvariant();
    }
}
