namespace RespProxy.Topology.Sentinel;

/// <summary>The "flags" field sentinel reports for a master, replica or peer sentinel.</summary>
[Flags]
internal enum SentinelInstanceFlags
{
    None = 0,
    Master = 1 << 0,
    Replica = 1 << 1,
    Sentinel = 1 << 2,
    SubjectivelyDown = 1 << 3,
    ObjectivelyDown = 1 << 4,
    Disconnected = 1 << 5,
    MasterDown = 1 << 6,
    FailoverInProgress = 1 << 7,
    Promoted = 1 << 8,
    ReconfSent = 1 << 9,
    ReconfInProgress = 1 << 10,
    ReconfDone = 1 << 11,

    /// <summary>Any of the states in which sentinel itself considers the instance unusable.</summary>
    Unhealthy = SubjectivelyDown | ObjectivelyDown | Disconnected,
}

internal static class SentinelInstanceFlagsParser
{
    /// <summary>Parses "slave,s_down,disconnected"; unknown words are ignored (newer sentinels add some).</summary>
    public static SentinelInstanceFlags Parse(string? text)
    {
        var flags = SentinelInstanceFlags.None;
        if (string.IsNullOrEmpty(text))
        {
            return flags;
        }

        foreach (var word in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            flags |= word switch
            {
                "master" => SentinelInstanceFlags.Master,
                "slave" or "replica" => SentinelInstanceFlags.Replica,
                "sentinel" => SentinelInstanceFlags.Sentinel,
                "s_down" => SentinelInstanceFlags.SubjectivelyDown,
                "o_down" => SentinelInstanceFlags.ObjectivelyDown,
                "disconnected" => SentinelInstanceFlags.Disconnected,
                "master_down" => SentinelInstanceFlags.MasterDown,
                "failover_in_progress" => SentinelInstanceFlags.FailoverInProgress,
                "promoted" => SentinelInstanceFlags.Promoted,
                "reconf_sent" => SentinelInstanceFlags.ReconfSent,
                "reconf_inprog" => SentinelInstanceFlags.ReconfInProgress,
                "reconf_done" => SentinelInstanceFlags.ReconfDone,
                _ => SentinelInstanceFlags.None,
            };
        }

        return flags;
    }

    /// <summary>The unhealthy flags as sentinel spells them, e.g. "s_down,disconnected".</summary>
    public static string DescribeUnhealthy(SentinelInstanceFlags flags)
    {
        var words = new List<string>(3);
        if (flags.HasFlag(SentinelInstanceFlags.SubjectivelyDown))
        {
            words.Add("s_down");
        }

        if (flags.HasFlag(SentinelInstanceFlags.ObjectivelyDown))
        {
            words.Add("o_down");
        }

        if (flags.HasFlag(SentinelInstanceFlags.Disconnected))
        {
            words.Add("disconnected");
        }

        return string.Join(',', words);
    }
}
