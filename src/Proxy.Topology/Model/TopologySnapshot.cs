using System.Collections.Immutable;

namespace RespProxy.Topology.Model;

/// <summary>
/// Everything routing needs, frozen: groups and the slot -> group map. A command reads the current snapshot once and
/// routes every key against it; changes build a new snapshot and publish it in one step (<see cref="TopologyHolder"/>).
/// </summary>
public sealed class TopologySnapshot
{
    private readonly ushort[] _slotToGroup;

    public TopologySnapshot(long version, TopologyMode mode, ImmutableArray<ShardGroup> groups)
    {
        Version = version;
        Mode = mode;
        Groups = groups;
        _slotToGroup = new ushort[SlotRange.SlotCount];
        var assigned = new bool[SlotRange.SlotCount];
        for (int group = 0; group < groups.Length; group++)
        {
            foreach (var range in groups[group].Slots)
            {
                for (int slot = range.Start; slot <= range.End; slot++)
                {
                    if (assigned[slot])
                    {
                        throw new ArgumentException($"Slot {slot} is owned by more than one group.", nameof(groups));
                    }

                    assigned[slot] = true;
                    _slotToGroup[slot] = (ushort)group;
                }
            }
        }

        int unassigned = Array.IndexOf(assigned, false);
        if (unassigned >= 0)
        {
            throw new ArgumentException($"Slot {unassigned} is owned by no group.", nameof(groups));
        }
    }

    /// <summary>Increases by one with every published change.</summary>
    public long Version { get; }

    public TopologyMode Mode { get; }

    public ImmutableArray<ShardGroup> Groups { get; }

    public ShardGroup GroupForSlot(int slot) => Groups[_slotToGroup[slot]];

    public int GroupIndexForSlot(int slot) => _slotToGroup[slot];
}
