using Microsoft.Extensions.Logging;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

public sealed partial class SentinelWatcher
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 700, EventName = "SentinelReachable", Level = LogLevel.Information, Message = "Sentinel {Sentinel} is reachable.")]
        public static partial void SentinelReachable(ILogger logger, ServerEndpoint sentinel);

        [LoggerMessage(EventId = 701, EventName = "SentinelUnreachable", Level = LogLevel.Warning, Message = "Sentinel {Sentinel} is unreachable: {Error}")]
        public static partial void SentinelUnreachable(ILogger logger, ServerEndpoint sentinel, string error);

        [LoggerMessage(EventId = 702, EventName = "SentinelDiscovered", Level = LogLevel.Information, Message = "Discovered sentinel {Sentinel} (reported by {Reporter}).")]
        public static partial void SentinelDiscovered(ILogger logger, ServerEndpoint sentinel, ServerEndpoint reporter);

        [LoggerMessage(EventId = 703, EventName = "AllSentinelsDown", Level = LogLevel.Error, Message = "No sentinel answers ({Count} known); keeping topology version {Version}. {Error}")]
        public static partial void AllSentinelsDown(ILogger logger, int count, long version, string error);

        [LoggerMessage(EventId = 704, EventName = "SentinelsRecovered", Level = LogLevel.Information, Message = "Sentinels answer again ({Reachable} of {Known} reachable).")]
        public static partial void SentinelsRecovered(ILogger logger, int reachable, int known);

        [LoggerMessage(EventId = 705, EventName = "SentinelsDisagree", Level = LogLevel.Warning, Message = "Group {Group}: sentinels disagree; following {Master} (config-epoch {Epoch}). Answers: {Answers}")]
        public static partial void SentinelsDisagree(ILogger logger, string group, ServerEndpoint master, long epoch, string answers);

        [LoggerMessage(EventId = 706, EventName = "SentinelProblem", Level = LogLevel.Debug, Message = "Sentinel {Sentinel}: {Problem}")]
        public static partial void SentinelProblem(ILogger logger, ServerEndpoint sentinel, string problem);

        [LoggerMessage(EventId = 707, EventName = "TopologyPublished", Level = LogLevel.Information, Message = "Published topology version {Version}: {Changes}.")]
        public static partial void TopologyPublished(ILogger logger, long version, string changes);

        [LoggerMessage(EventId = 708, EventName = "MasterUnconfirmed", Level = LogLevel.Warning, Message = "Group {Group}: no master published while {Candidate} is unconfirmed: {Reason}; writes wait.")]
        public static partial void MasterUnconfirmed(ILogger logger, string group, ServerEndpoint candidate, string reason);

        [LoggerMessage(EventId = 709, EventName = "MasterSwitched", Level = LogLevel.Warning, Message = "Group {Group}: master {OldMaster} -> {NewMaster} published (ROLE confirmed; {SinceSwitchEventMs} ms after +switch-master, -1 = before it or none).")]
        public static partial void MasterSwitched(ILogger logger, string group, ServerEndpoint oldMaster, ServerEndpoint newMaster, long sinceSwitchEventMs);

        [LoggerMessage(EventId = 718, EventName = "MasterConfirmed", Level = LogLevel.Information, Message = "Group {Group}: master {Master} published (ROLE confirmed).")]
        public static partial void MasterConfirmed(ILogger logger, string group, ServerEndpoint master);

        [LoggerMessage(EventId = 710, EventName = "ReplicaNotReadable", Level = LogLevel.Information, Message = "Group {Group}: replica {Replica} takes no reads: {Reason}")]
        public static partial void ReplicaNotReadable(ILogger logger, string group, ServerEndpoint replica, string reason);

        [LoggerMessage(EventId = 711, EventName = "ReplicaReadable", Level = LogLevel.Information, Message = "Group {Group}: replica {Replica} takes reads again.")]
        public static partial void ReplicaReadable(ILogger logger, string group, ServerEndpoint replica);

        [LoggerMessage(EventId = 712, EventName = "SentinelEvent", Level = LogLevel.Debug, Message = "Sentinel {Sentinel}: {Channel} {Payload}")]
        public static partial void SentinelEventReceived(ILogger logger, ServerEndpoint sentinel, string channel, string payload);

        [LoggerMessage(EventId = 713, EventName = "SentinelSubscribed", Level = LogLevel.Debug, Message = "Subscribed to events of sentinel {Sentinel}.")]
        public static partial void Subscribed(ILogger logger, ServerEndpoint sentinel);

        [LoggerMessage(EventId = 714, EventName = "SentinelSubscriptionLost", Level = LogLevel.Debug, Message = "Event subscription to sentinel {Sentinel} lost: {Error}; reconnecting.")]
        public static partial void SubscriptionLost(ILogger logger, ServerEndpoint sentinel, string error);

        [LoggerMessage(EventId = 715, EventName = "SentinelGroupUnknown", Level = LogLevel.Warning, Message = "Group {Group}: no reachable sentinel reports this master name; keeping its last state.")]
        public static partial void GroupUnknown(ILogger logger, string group);

        [LoggerMessage(EventId = 716, EventName = "SentinelRefreshFailed", Level = LogLevel.Error, Message = "Sentinel refresh failed; keeping the current topology.")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 717, EventName = "SentinelHandlerFailed", Level = LogLevel.Error, Message = "A {Handler} handler threw.")]
        public static partial void HandlerFailed(ILogger logger, string handler, Exception exception);
    }
}
