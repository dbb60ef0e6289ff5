using RespProxy.Resp.Commands;
using RespProxy.TestSupport;
using Xunit;

namespace RespProxy.IntegrationTests.Commands;

/// <summary>
/// Checks the generated command table against what a real redis-server prints in COMMAND: every command and
/// subcommand must be classified, with the same arity, key positions and (mapped) flags.
/// </summary>
public class CommandTableCoverageTests
{
    private static readonly Dictionary<string, CommandFlags> FlagMap = new(StringComparer.OrdinalIgnoreCase)
    {
        ["write"] = CommandFlags.Write,
        ["readonly"] = CommandFlags.ReadOnly,
        ["admin"] = CommandFlags.Admin,
        ["pubsub"] = CommandFlags.PubSub,
        ["noscript"] = CommandFlags.NoScript,
        ["blocking"] = CommandFlags.Blocking,
        ["loading"] = CommandFlags.Loading,
        ["stale"] = CommandFlags.Stale,
        ["no_auth"] = CommandFlags.NoAuth,
        ["may_replicate"] = CommandFlags.MayReplicate,
        ["fast"] = CommandFlags.Fast,
        ["denyoom"] = CommandFlags.DenyOom,
        ["movablekeys"] = CommandFlags.MovableKeys,
        ["@transaction"] = CommandFlags.Transaction,
        ["@scripting"] = CommandFlags.Scripting,
        ["@connection"] = CommandFlags.Connection,
        ["@keyspace"] = CommandFlags.Keyspace,
    };

    [Fact]
    public async Task Every_command_of_a_real_redis_is_in_the_table()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var client = await RawRespClient.ConnectAsync(server.Host, server.Port);

        var reply = await client.CommandAsync("COMMAND");
        Assert.False(reply.IsError, reply.ToString());
        Assert.NotNull(reply.Items);

        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int subcommandCount = 0;
        foreach (var raw in reply.Items!)
        {
            var expected = ServerCommand.Parse(raw);
            seen.Add(expected.Name);
            if (!CommandTable.TryGet(expected.Name, out var actual))
            {
                problems.Add($"{expected.Name}: missing from the table");
                continue;
            }

            Compare(expected, actual, problems);
            var actualSubcommandNames = new HashSet<string>(actual.Subcommands?.Values.Select(s => s.Name) ?? [], StringComparer.Ordinal);
            foreach (var expectedSub in expected.Subcommands)
            {
                subcommandCount++;
                actualSubcommandNames.Remove(expectedSub.Name);
                string secondWord = expectedSub.Name[(expectedSub.Name.IndexOf('|', StringComparison.Ordinal) + 1)..];
                if (!CommandTable.TryGetSubcommand(actual, secondWord.ToUpperInvariant(), out var actualSub))
                {
                    problems.Add($"{expectedSub.Name}: missing from the table");
                    continue;
                }

                Compare(expectedSub, actualSub, problems);
            }

            problems.AddRange(actualSubcommandNames.Select(n => $"{n}: in the table but not listed by the server"));
        }

        problems.AddRange(CommandTable.All.Where(c => !seen.Contains(c.Name)).Select(c => $"{c.Name}: in the table but not listed by the server"));

        Assert.True(
            problems.Count == 0,
            $"Command table (generated from Redis {CommandTable.GeneratedFromRedisVersion}) differs from the server's COMMAND "
            + $"({seen.Count} commands, {subcommandCount} subcommands):{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
        Assert.True(seen.Count >= 200, $"server listed only {seen.Count} commands");
        Assert.True(subcommandCount >= 50, $"server listed only {subcommandCount} subcommands");
    }

    private static void Compare(ServerCommand expected, CommandInfo actual, List<string> problems)
    {
        if (actual.Name != expected.Name)
        {
            problems.Add($"{expected.Name}: table name is '{actual.Name}'");
        }

        if (actual.Arity != expected.Arity)
        {
            problems.Add($"{expected.Name}: arity {actual.Arity}, server says {expected.Arity}");
        }

        if ((actual.FirstKey, actual.LastKey, actual.KeyStep) != (expected.FirstKey, expected.LastKey, expected.KeyStep))
        {
            problems.Add($"{expected.Name}: keys {actual.FirstKey},{actual.LastKey},{actual.KeyStep}, server says {expected.FirstKey},{expected.LastKey},{expected.KeyStep}");
        }

        if (actual.Flags != expected.Flags)
        {
            problems.Add($"{expected.Name}: flags {actual.Flags}, server says {expected.Flags}");
        }
    }

    private static string Text(RespValue value)
        => value.Text ?? throw new InvalidOperationException($"expected a string, got {value}");

    private static IReadOnlyList<RespValue> Items(RespValue value)
        => value.Items ?? throw new InvalidOperationException($"expected an array, got {value}");

    /// <summary>One entry of COMMAND's reply: name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands.</summary>
    private sealed record ServerCommand(string Name, int Arity, CommandFlags Flags, int FirstKey, int LastKey, int KeyStep, IReadOnlyList<ServerCommand> Subcommands)
    {
        public static ServerCommand Parse(RespValue raw)
        {
            var fields = Items(raw);
            Assert.True(fields.Count >= 10, $"unexpected COMMAND entry {raw}");
            var subcommands = fields[9].Items?.Select(Parse).ToList() ?? [];
            var flags = Items(fields[2]).Concat(Items(fields[6]))
                .Select(Text)
                .Aggregate(CommandFlags.None, (acc, f) => acc | FlagMap.GetValueOrDefault(f));
            if (subcommands.Count > 0)
            {
                flags |= CommandFlags.Container;
            }

            return new ServerCommand(
                Text(fields[0]).ToLowerInvariant(),
                checked((int)fields[1].Integer),
                flags,
                checked((int)fields[3].Integer),
                checked((int)fields[4].Integer),
                checked((int)fields[5].Integer),
                subcommands);
        }
    }
}
