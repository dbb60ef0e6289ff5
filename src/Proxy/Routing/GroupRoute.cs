using RespProxy.Backends;
using RespProxy.Connections;
using RespProxy.Topology.Model;

namespace RespProxy.Routing;

/// <summary>
/// One group of one routing table: its master, its read tiers (datacenter preference applied) and its write hold.
/// Decides where a single request goes; the hold is shared with the group's other tables.
/// </summary>
internal sealed class GroupRoute
{
    private readonly ReadTier[] _readTiers;

    public GroupRoute(string name, BackendServer? master, ReadTier[] readTiers, ReadPolicy policy, WriteHold hold)
    {
        Name = name;
        Master = master;
        _readTiers = readTiers;
        Policy = policy;
        Hold = hold;
    }

    public string Name { get; }

    public BackendServer? Master { get; }

    public ReadPolicy Policy { get; }

    public WriteHold Hold { get; }

    public IReadOnlyList<ReadTier> ReadTiers => _readTiers;

    /// <summary>
    /// A connection for a request only the master may run, or null when it was held (or answered) instead.
    /// </summary>
    public BackendConnection? RouteToMaster(PendingReply slot, long affinity) =>
        RouteToOpenMaster(slot, affinity) ?? Hold.RouteOrHold(slot, Master, affinity);

    /// <summary>
    /// The fast path of <see cref="RouteToMaster"/>: the master's connection when no hold is active and the master takes
    /// writes and is connected; otherwise null, with nothing held or answered (the caller routes the slot again).
    /// </summary>
    public BackendConnection? RouteToOpenMaster(PendingReply slot, long affinity)
    {
        slot.Group = this;
        slot.NeedsMaster = true;
        return OpenMasterConnection(affinity);
    }

    private BackendConnection? OpenMasterConnection(long affinity) =>
        !Hold.IsActive && Master is { AcceptsWrites: true } master ? master.GetConnection(affinity) : null;

    /// <summary>
    /// A connection for a read-only request under the group's read policy, or null when it was held or answered.
    /// </summary>
    public BackendConnection? RouteRead(PendingReply slot, uint spin, long affinity)
    {
        switch (Policy)
        {
            case ReadPolicy.Master:
                return RouteToMaster(slot, affinity);
            case ReadPolicy.PreferMaster:
                if (OpenMasterConnection(affinity) is { } fromMaster)
                {
                    slot.Group = this;
                    return fromMaster;
                }

                return PickReplica(slot, spin, affinity) ?? RouteToMaster(slot, affinity);
            case ReadPolicy.Replica:
                var replica = PickReplica(slot, spin, affinity);
                if (replica is null)
                {
                    var owner = slot.Owner!;
                    slot.CompleteWithError(NoReadableReplica);
                    owner.TryWriteReplies();
                }

                return replica;
            default:
                return PickReplica(slot, spin, affinity) ?? RouteToMaster(slot, affinity);
        }
    }

    private BackendConnection? PickReplica(PendingReply slot, uint spin, long affinity)
    {
        slot.Group = this;
        foreach (var tier in _readTiers)
        {
            var connection = tier.Pick(spin, affinity);
            if (connection is not null)
            {
                return connection;
            }
        }

        return null;
    }

    /// <summary>
    /// Routes again a request that a backend connection could not run: never written (fenced master, failed
    /// connection) or a read refused by a replica. Sends it itself; the caller only gives it up.
    /// </summary>
    public void Reroute(PendingReply slot, uint spin)
    {
        var connection = slot.NeedsMaster ? RouteToMaster(slot, 0) : RouteRead(slot, spin, 0);
        if (connection is not null)
        {
            connection.Enqueue(slot);
            connection.Send();
        }
    }

    private static ReadOnlySpan<byte> NoReadableReplica => "ERR RespProxy: no readable replica for this key's group (ReadPolicy Replica)"u8;
}
