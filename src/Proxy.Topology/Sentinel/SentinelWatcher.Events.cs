using System.Globalization;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

public sealed partial class SentinelWatcher
{
    private void OnSubscribed(ServerEndpoint sentinel)
    {
        Log.Subscribed(_logger, sentinel);
        _signal.Request(); // events may have been missed while unsubscribed
    }

    private void OnSubscriptionLost(ServerEndpoint sentinel, string error) => Log.SubscriptionLost(_logger, sentinel, error);

    private void OnSentinelEvent(ServerEndpoint sentinel, SentinelEvent sentinelEvent)
    {
        if (sentinelEvent.GroupName is { } group && !_groupNameSet.Contains(group))
        {
            return; // a master this proxy does not route to
        }

        Log.SentinelEventReceived(_logger, sentinel, sentinelEvent.Channel, sentinelEvent.Payload);
        if (sentinelEvent.Channel == "+switch-master" && sentinelEvent.GroupName is { } switched)
        {
            RecordSwitchEvent(switched, sentinelEvent.Payload);
        }

        _signal.Request();
    }

    /// <summary>Keeps the first arrival per new master: every sentinel repeats +switch-master as it learns of it.</summary>
    private void RecordSwitchEvent(string group, string payload)
    {
        var words = payload.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 5 || !int.TryParse(words[4], CultureInfo.InvariantCulture, out int port))
        {
            return;
        }

        var newMaster = new ServerEndpoint(words[3], port);
        var now = _time.GetUtcNow();
        _switchEvents.AddOrUpdate(
            group,
            _ => new SwitchEvent(now, newMaster),
            (_, existing) => existing.NewMaster == newMaster ? existing : new SwitchEvent(now, newMaster));
    }

    private readonly record struct SwitchEvent(DateTimeOffset At, ServerEndpoint NewMaster);
}
