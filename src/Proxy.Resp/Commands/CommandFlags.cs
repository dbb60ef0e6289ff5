namespace RespProxy.Resp.Commands;

/// <summary>
/// The subset of Redis's COMMAND flags (and ACL categories) the proxy routes on. Values are bits so a command
/// can carry several; the table in <see cref="CommandTable"/> is generated from a Redis 7.0 server's COMMAND output.
/// </summary>
[Flags]
public enum CommandFlags : uint
{
    None = 0,
    Write = 1 << 0,
    ReadOnly = 1 << 1,
    Admin = 1 << 2,
    PubSub = 1 << 3,
    NoScript = 1 << 4,
    Blocking = 1 << 5,
    Loading = 1 << 6,
    Stale = 1 << 7,
    NoAuth = 1 << 8,
    /// <summary>
    /// Redis's may_replicate. Redis 7.0 hides this flag from COMMAND output on purpose, so the table generated from
    /// Redis 7.0.15 sets it on no command; do not rely on it without a table from a server that prints it.
    /// </summary>
    MayReplicate = 1 << 9,
    Fast = 1 << 10,
    DenyOom = 1 << 11,
    /// <summary>Keys are not in fixed positions (key-spec "keynum" or "keyword" search): e.g. EVAL, ZUNIONSTORE, XREAD.</summary>
    MovableKeys = 1 << 12,
    /// <summary>ACL category @transaction (MULTI, EXEC, WATCH, ...): state that lives on one server connection.</summary>
    Transaction = 1 << 13,
    /// <summary>ACL category @scripting.</summary>
    Scripting = 1 << 14,
    /// <summary>ACL category @connection (PING, ECHO, HELLO, SELECT, CLIENT ...).</summary>
    Connection = 1 << 15,
    /// <summary>The command has subcommands (CLIENT, CONFIG, ...), listed in <see cref="CommandInfo.Subcommands"/>.</summary>
    Container = 1 << 16,

    /// <summary>ACL category @keyspace: acts on keys or the keyspace as a whole (DEL, KEYS, SCAN, DBSIZE, ...).</summary>
    Keyspace = 1 << 17,
}
