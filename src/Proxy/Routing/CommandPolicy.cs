using System.Text;
using RespProxy.Resp.Commands;

namespace RespProxy.Routing;

/// <summary>
/// Decides once per command (at start-up, from the command table's flags) whether the proxy forwards it, answers it
/// itself, or refuses it, and with which words. Requests then look the decision up by the command's id.
/// </summary>
internal sealed class CommandPolicy
{
    // Commands whose state lives on the client's connection, answered by the proxy (see LocalCommands).
    private static readonly HashSet<string> s_local = new(StringComparer.Ordinal)
    {
        "ping", "echo", "quit", "hello", "select", "auth", "reset", "readonly", "readwrite", "asking",
        "client|setname", "client|getname", "client|id", "client|setinfo", "client|help",
        "cluster",
    };

    // Server-wide effects or replication plumbing: never meaningful through a proxy.
    private static readonly HashSet<string> s_neverForwarded = new(StringComparer.Ordinal)
    {
        "monitor", "sync", "psync", "replconf", "replicaof", "slaveof", "failover", "shutdown", "wait", "debug",
    };

    // By command id: one array read per request.
    private readonly Decision[] _decisions = new Decision[CommandTable.IdCount];

    public CommandPolicy(bool allowAdminCommands)
    {
        foreach (var command in CommandTable.All)
        {
            Add(command, allowAdminCommands);
            if (command.Subcommands is not null)
            {
                foreach (var subcommand in command.Subcommands.Values)
                {
                    Add(subcommand, allowAdminCommands);
                }
            }
        }
    }

    public CommandRoute Route(CommandInfo command, out ReadOnlySpan<byte> rejection)
    {
        var decision = _decisions[command.Id];
        rejection = decision.Rejection;
        return decision.Route;
    }

    private void Add(CommandInfo command, bool allowAdminCommands)
        => _decisions[command.Id] = Decide(command, allowAdminCommands);

    private static Decision Decide(CommandInfo command, bool allowAdminCommands)
    {
        string name = command.Name;
        string shown = name.ToUpperInvariant();
        if (s_local.Contains(name) || name.StartsWith("cluster|", StringComparison.Ordinal))
        {
            return new Decision(CommandRoute.Local, []);
        }

        if (name == "info")
        {
            // Forwarded, and the proxy's own section is put in front of the server's (LocalCommands.InfoTransform).
            return new Decision(CommandRoute.Forward, []);
        }

        var flags = command.Flags;
        bool publishes = name is "publish" or "spublish" || name.StartsWith("pubsub|", StringComparison.Ordinal);
        if ((flags & CommandFlags.PubSub) != 0 && !publishes)
        {
            return Reject($"ERR '{shown}' is not supported by RespProxy yet: subscriptions need a dedicated backend connection");
        }

        if ((flags & CommandFlags.Transaction) != 0)
        {
            return Reject($"ERR '{shown}' is not supported by RespProxy yet: transactions need a dedicated backend connection");
        }

        if ((flags & CommandFlags.Blocking) != 0 && name is not ("xread" or "xreadgroup"))
        {
            return Reject($"ERR '{shown}' is not supported by RespProxy: a blocking command would stall a backend connection shared by all clients");
        }

        if (s_neverForwarded.Contains(name))
        {
            return Reject($"ERR '{shown}' is not supported by RespProxy: it acts on the backend connection or server, which clients share");
        }

        if (name.StartsWith("client|", StringComparison.Ordinal))
        {
            return Reject($"ERR '{shown}' is not supported by RespProxy: the backend connection is shared, so its client state is not yours");
        }

        if ((flags & CommandFlags.Admin) != 0 && !allowAdminCommands)
        {
            return Reject($"ERR '{shown}' is an admin command and is not forwarded by RespProxy (set Proxy:AllowAdminCommands=true to allow it)");
        }

        return new Decision(CommandRoute.Forward, []);
    }

    private static Decision Reject(string text) => new(CommandRoute.Reject, Encoding.UTF8.GetBytes(text));

    private readonly record struct Decision(CommandRoute Route, byte[] Rejection);
}
