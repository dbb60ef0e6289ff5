using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

public sealed partial class SentinelWatcher
{
    private void Publish(Dictionary<string, GroupState> states)
    {
        var current = _holder.Current;
        var groups = _builder.BuildGroups(states);
        if (current.Mode == TopologyMode.Sentinel && SnapshotDiff.AreEquivalent(current.Groups, groups))
        {
            return;
        }

        var next = new TopologySnapshot(current.Version + 1, TopologyMode.Sentinel, groups);

        try
        {
            _holder.Publish(next);
        }
        catch (Exception ex)
        {
            // Publish swapped the snapshot before notifying; a throwing Changed handler must not stop the watcher.
            Log.HandlerFailed(_logger, "TopologyHolder.Changed", ex);
        }

        Log.TopologyPublished(_logger, next.Version, string.Join("; ", SnapshotDiff.Describe(current, next)));
        var publishedAt = _time.GetUtcNow();
        foreach (var group in next.Groups)
        {
            if (group.Master is not { } master || _confirmedMasters.GetValueOrDefault(group.Name) == master.Endpoint)
            {
                continue;
            }

            var previous = _confirmedMasters.GetValueOrDefault(group.Name);
            _confirmedMasters[group.Name] = master.Endpoint;
            long sinceEvent = _switchEvents.TryGetValue(group.Name, out var switchEvent) && switchEvent.NewMaster == master.Endpoint
                ? (long)(publishedAt - switchEvent.At).TotalMilliseconds
                : -1;
            if (previous is null)
            {
                Log.MasterConfirmed(_logger, group.Name, master.Endpoint);
            }
            else
            {
                Log.MasterSwitched(_logger, group.Name, previous, master.Endpoint, sinceEvent);
            }

            try
            {
                MasterSwitched?.Invoke(group.Name, previous, master.Endpoint);
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(_logger, nameof(MasterSwitched), ex);
            }
        }
    }
}
