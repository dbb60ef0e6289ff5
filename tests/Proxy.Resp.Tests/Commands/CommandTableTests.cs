using System.Text;
using RespProxy.Resp.Commands;
using Xunit;

namespace RespProxy.Resp.Tests.Commands;

public class CommandTableTests
{
    private static CommandInfo Get(string name)
    {
        Assert.True(CommandTable.TryGet(Encoding.ASCII.GetBytes(name), out var info), $"'{name}' should be in the table");
        return info;
    }

    [Theory]
    [InlineData("get")]
    [InlineData("GET")]
    [InlineData("GeT")]
    public void TryGet_bytes_is_case_insensitive(string name)
    {
        Assert.True(CommandTable.TryGet(Encoding.ASCII.GetBytes(name), out var info));
        Assert.Equal("get", info.Name);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("GET")]
    [InlineData("GeT")]
    public void TryGet_string_is_case_insensitive(string name)
    {
        Assert.True(CommandTable.TryGet(name, out var info));
        Assert.Equal("get", info.Name);
    }

    [Fact]
    public void TryGet_misses_unknown_empty_long_and_non_ascii_names()
    {
        Assert.False(CommandTable.TryGet("unknown"u8, out _));
        Assert.False(CommandTable.TryGet(ReadOnlySpan<byte>.Empty, out _));
        Assert.False(CommandTable.TryGet(new byte[100].AsSpan(), out _));
        Assert.False(CommandTable.TryGet(Encoding.ASCII.GetBytes(new string('g', 100)), out _));
        Assert.False(CommandTable.TryGet(new byte[] { (byte)'g', 0xC3, 0xA9, (byte)'t' }, out _));
        Assert.False(CommandTable.TryGet("get\0"u8, out _));

        Assert.False(CommandTable.TryGet("unknown", out _));
        Assert.False(CommandTable.TryGet(string.Empty, out _));
        Assert.False(CommandTable.TryGet(new string('g', 100), out _));
        Assert.False(CommandTable.TryGet("ſet", out _)); // U+017F must not case-fold onto "set"
    }

    [Fact]
    public void Every_command_is_found_from_its_wire_bytes_in_any_letter_case()
    {
        foreach (var command in CommandTable.All)
        {
            foreach (var spelling in new[] { command.Name, command.Name.ToUpperInvariant() })
            {
                Assert.True(CommandTable.TryGet(Encoding.ASCII.GetBytes(spelling), out var found), spelling);
                Assert.Same(command, found);
            }
        }

        // Only letters fold: '_' and DEL differ by the same bit as 'a' and 'A'.
        Assert.True(CommandTable.TryGet("BITFIELD_RO"u8, out _));
        Assert.False(CommandTable.TryGet("bitfield\u007fro"u8, out _));
    }

    [Fact]
    public void Subcommand_names_are_not_top_level_commands()
    {
        Assert.False(CommandTable.TryGet("client|setname"u8, out _));
        Assert.False(CommandTable.TryGet("setname"u8, out _));
    }

    [Fact]
    public void Get_is_a_readonly_single_key_command()
    {
        var get = Get("GET");
        Assert.Equal(2, get.Arity);
        Assert.True(get.Flags.HasFlag(CommandFlags.ReadOnly));
        Assert.False(get.Flags.HasFlag(CommandFlags.Write));
        Assert.True(get.Flags.HasFlag(CommandFlags.Fast));
        Assert.Equal((1, 1, 1), (get.FirstKey, get.LastKey, get.KeyStep));
        Assert.True(get.HasKeys);
        Assert.True(get.AcceptsArgumentCount(2));
        Assert.False(get.AcceptsArgumentCount(3));
    }

    [Fact]
    public void Set_is_a_write_command_with_variable_arity()
    {
        var set = Get("set");
        Assert.Equal(-3, set.Arity);
        Assert.True(set.Flags.HasFlag(CommandFlags.Write));
        Assert.True(set.Flags.HasFlag(CommandFlags.DenyOom));
        Assert.False(set.Flags.HasFlag(CommandFlags.ReadOnly));
        Assert.False(set.AcceptsArgumentCount(2));
        Assert.True(set.AcceptsArgumentCount(3));
        Assert.True(set.AcceptsArgumentCount(6));
    }

    [Fact]
    public void Mset_keys_are_every_other_argument()
    {
        var mset = Get("mset");
        Assert.Equal((1, -1, 2), (mset.FirstKey, mset.LastKey, mset.KeyStep));
        Assert.True(mset.Flags.HasFlag(CommandFlags.Write));
    }

    [Fact]
    public void Flags_and_categories_are_mapped()
    {
        Assert.True(Get("blpop").Flags.HasFlag(CommandFlags.Blocking));
        Assert.True(Get("subscribe").Flags.HasFlag(CommandFlags.PubSub));
        Assert.True(Get("multi").Flags.HasFlag(CommandFlags.Transaction));
        Assert.True(Get("exec").Flags.HasFlag(CommandFlags.Transaction));
        Assert.True(Get("watch").Flags.HasFlag(CommandFlags.Transaction));
        Assert.True(Get("eval").Flags.HasFlag(CommandFlags.MovableKeys));
        Assert.True(Get("eval").Flags.HasFlag(CommandFlags.Scripting));
        Assert.True(Get("eval").Flags.HasFlag(CommandFlags.NoScript));
        Assert.True(Get("auth").Flags.HasFlag(CommandFlags.NoAuth));
        Assert.True(Get("hello").Flags.HasFlag(CommandFlags.Connection));
        Assert.True(Get("flushall").Flags.HasFlag(CommandFlags.Write));
        Assert.True(Get("shutdown").Flags.HasFlag(CommandFlags.Admin));
        Assert.True(Get("ping").Flags.HasFlag(CommandFlags.Connection));
        Assert.True(Get("ping").Flags.HasFlag(CommandFlags.Fast));
        Assert.True(Get("auth").Flags.HasFlag(CommandFlags.Stale));
        Assert.True(Get("auth").Flags.HasFlag(CommandFlags.Loading));
        Assert.False(Get("get").Flags.HasFlag(CommandFlags.MovableKeys));
        Assert.False(Get("get").Flags.HasFlag(CommandFlags.Container));
    }

    [Fact]
    public void Client_is_a_container_with_setname()
    {
        var client = Get("CLIENT");
        Assert.True(client.Flags.HasFlag(CommandFlags.Container));
        Assert.NotNull(client.Subcommands);
        Assert.Contains("setname", client.Subcommands!.Keys);

        Assert.True(CommandTable.TryGetSubcommand(client, "SetName"u8, out var setName));
        Assert.Equal("client|setname", setName.Name);
        Assert.Equal(3, setName.Arity);
        Assert.True(setName.Flags.HasFlag(CommandFlags.Connection));
        Assert.False(setName.HasKeys);

        Assert.True(CommandTable.TryGetSubcommand(client, "setname", out var setName2));
        Assert.Same(setName, setName2);
        Assert.True(CommandTable.TryGetSubcommand(client, "no-evict"u8, out var noEvict));
        Assert.Equal("client|no-evict", noEvict.Name);
    }

    [Fact]
    public void TryGetSubcommand_misses()
    {
        var client = Get("client");
        Assert.False(CommandTable.TryGetSubcommand(client, "nosuch"u8, out _));
        Assert.False(CommandTable.TryGetSubcommand(client, ReadOnlySpan<byte>.Empty, out _));
        Assert.False(CommandTable.TryGetSubcommand(client, new byte[100], out _));
        Assert.False(CommandTable.TryGetSubcommand(client, "client|setname"u8, out _));
        Assert.False(CommandTable.TryGetSubcommand(Get("get"), "setname"u8, out _));
        Assert.False(CommandTable.TryGetSubcommand(client, "nosuch", out _));
    }

    [Fact]
    public void Subcommand_key_positions_count_the_container_name()
    {
        Assert.True(CommandTable.TryGetSubcommand(Get("object"), "ENCODING"u8, out var encoding));
        Assert.Equal((2, 2, 1), (encoding.FirstKey, encoding.LastKey, encoding.KeyStep));
        Assert.True(encoding.Flags.HasFlag(CommandFlags.ReadOnly));
    }

    [Fact]
    public void Every_container_has_subcommands_keyed_by_second_word()
    {
        int containers = 0;
        foreach (var command in CommandTable.All)
        {
            bool container = command.Flags.HasFlag(CommandFlags.Container);
            Assert.Equal(container, command.Subcommands is { Count: > 0 });
            if (!container)
            {
                continue;
            }

            containers++;
            foreach (var (key, sub) in command.Subcommands!)
            {
                Assert.Equal(command.Name + "|" + key, sub.Name);
                Assert.Equal(key.ToLowerInvariant(), key);
                Assert.True(CommandTable.TryGetSubcommand(command, Encoding.ASCII.GetBytes(key.ToUpperInvariant()), out var found));
                Assert.Same(sub, found);
            }
        }

        Assert.True(containers >= 10, $"only {containers} containers");
    }

    [Fact]
    public void Ids_are_dense_and_unique()
    {
        var all = CommandTable.All;
        Assert.True(all.Count >= 200, $"only {all.Count} commands");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < all.Count; i++)
        {
            Assert.Equal(i, all[i].Id);
            Assert.True(names.Add(all[i].Name), $"duplicate {all[i].Name}");
            Assert.Equal(all[i].Name.ToLowerInvariant(), all[i].Name);
            Assert.True(CommandTable.TryGet(all[i].Name, out var found));
            Assert.Same(all[i], found);
            Assert.True(CommandTable.TryGet(Encoding.ASCII.GetBytes(all[i].Name.ToUpperInvariant()), out found));
            Assert.Same(all[i], found);
        }
    }

    [Fact]
    public void Subcommands_take_the_ids_after_the_top_level_commands_each_its_own()
    {
        var subcommandIds = CommandTable.All
            .Where(command => command.Subcommands is not null)
            .SelectMany(command => command.Subcommands!.Values)
            .Select(subcommand => (int)subcommand.Id)
            .ToList();
        Assert.NotEmpty(subcommandIds);
        Assert.Equal(subcommandIds.Count, subcommandIds.Distinct().Count());
        Assert.All(subcommandIds, id => Assert.InRange(id, CommandTable.All.Count, CommandTable.IdCount - 1));
        Assert.Equal(CommandTable.All.Count + subcommandIds.Count, CommandTable.IdCount);
    }

    [Fact]
    public void Key_range_of_mset_with_7_arguments()
    {
        // MSET k1 v1 k2 v2 k3 v3
        Assert.True(CommandTable.TryGetKeyRange(Get("mset"), 7, out int first, out int last, out int step));
        Assert.Equal((1, 5, 2), (first, last, step));
    }

    [Theory]
    [InlineData("get", 2, true, 1, 1, 1)]
    [InlineData("get", 1, false, 0, 0, 0)] // too short to hold the key
    [InlineData("del", 4, true, 1, 3, 1)]
    [InlineData("blpop", 4, true, 1, 2, 1)] // BLPOP k1 k2 timeout: last key is argc - 2
    [InlineData("blpop", 2, false, 0, 0, 0)]
    [InlineData("mset", 3, true, 1, 1, 2)]
    [InlineData("mset", 4, true, 1, 3, 2)] // MSET k1 v1 k2 (an arity error later): argument 3 is on the key grid
    [InlineData("mset", 1, false, 0, 0, 0)]
    [InlineData("object", 3, false, 0, 0, 0)] // containers: keys are declared on the subcommands
    [InlineData("ping", 1, false, 0, 0, 0)]
    [InlineData("eval", 5, false, 0, 0, 0)] // movable keys only
    public void Key_range_resolution(string name, int argc, bool expected, int first, int last, int step)
    {
        Assert.Equal(expected, CommandTable.TryGetKeyRange(Get(name), argc, out int f, out int l, out int s));
        Assert.Equal((first, last, step), (f, l, s));
    }

    [Fact]
    public void Lookups_do_not_allocate()
    {
        var names = new[] { "GET"u8.ToArray(), "set"u8.ToArray(), "ClIeNt"u8.ToArray(), "nosuchcommand"u8.ToArray(), new byte[100] };
        var sub = "SETNAME"u8.ToArray();

        int hits = Lookups(names, sub, 100); // warm up (JIT, tiering, static init)
        long before = GC.GetAllocatedBytesForCurrentThread();
        hits += Lookups(names, sub, 1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(1100 * 4, hits);

        static int Lookups(byte[][] names, byte[] sub, int iterations)
        {
            int hits = 0;
            for (int i = 0; i < iterations; i++)
            {
                foreach (var name in names)
                {
                    if (CommandTable.TryGet(name, out var info))
                    {
                        hits++;
                        if (info.Subcommands is not null && CommandTable.TryGetSubcommand(info, sub, out _))
                        {
                            hits++;
                        }
                    }
                }
            }

            return hits;
        }
    }
}
