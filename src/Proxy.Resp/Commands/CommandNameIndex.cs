using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace RespProxy.Resp.Commands;

/// <summary>
/// Command lookup straight from the bytes on the wire: an open-addressing table keyed by the ASCII-lower-cased name,
/// hashed and compared case-insensitively without decoding to chars first. It runs for every request, so it is a
/// few multiplications and one vectorised compare instead of a transcoding plus a string-keyed dictionary probe.
/// </summary>
internal sealed class CommandNameIndex
{
    private readonly byte[]?[] _names;
    private readonly CommandInfo?[] _commands;
    private readonly int _mask;

    public CommandNameIndex(IEnumerable<KeyValuePair<string, CommandInfo>> entries)
    {
        var list = entries.ToList();
        int size = 16;
        while (size < list.Count * 4)
        {
            size *= 2;
        }

        _names = new byte[size][];
        _commands = new CommandInfo[size];
        _mask = size - 1;
        foreach (var (name, command) in list)
        {
            var lower = Encoding.ASCII.GetBytes(name.ToLowerInvariant());
            int slot = (int)(Hash(lower) & (uint)_mask);
            while (_names[slot] is not null)
            {
                slot = (slot + 1) & _mask;
            }

            _names[slot] = lower;
            _commands[slot] = command;
        }
    }

    public bool TryGet(ReadOnlySpan<byte> name, [MaybeNullWhen(false)] out CommandInfo command)
    {
        int slot = (int)(Hash(name) & (uint)_mask);
        while (_names[slot] is { } candidate)
        {
            if (candidate.Length == name.Length && Ascii.EqualsIgnoreCase(candidate, name))
            {
                command = _commands[slot]!;
                return true;
            }

            slot = (slot + 1) & _mask;
        }

        command = null;
        return false;
    }

    // FNV-1a over the bytes with A-Z folded to a-z, so both cases hash alike.
    private static uint Hash(ReadOnlySpan<byte> name)
    {
        uint hash = 2166136261;
        foreach (byte b in name)
        {
            uint folded = b - (uint)'A' <= 'Z' - 'A' ? b | 0x20u : b;
            hash = (hash ^ folded) * 16777619;
        }

        return hash;
    }
}
