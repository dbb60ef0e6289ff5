using System.Collections.Immutable;

namespace RespProxy.Topology.Model;

/// <summary>
/// A master and its replicas that together own some hash slots. A standalone backend is one group owning every slot;
/// sentinel mode has one group per monitored master name.
/// </summary>
/// <param name="Name">Group name (the sentinel master name, or the server address in standalone mode).</param>
/// <param name="Master">The confirmed master, or null while a failover has none confirmed.</param>
/// <param name="Replicas">Replicas known for the group, with their read eligibility.</param>
/// <param name="Slots">Slot ranges the group owns, inclusive.</param>
public sealed record ShardGroup(string Name, ServerNode? Master, ImmutableArray<ServerNode> Replicas, ImmutableArray<SlotRange> Slots);
