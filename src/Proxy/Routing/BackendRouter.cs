using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RespProxy.Backends;
using RespProxy.Hosting;
using RespProxy.Topology.Config;
using RespProxy.Topology.Model;

namespace RespProxy.Routing;

/// <summary>
/// Keeps the <see cref="RoutingTable"/> of the current topology snapshot. On every swap it fences demoted masters
/// first (nothing more is written to them), publishes the new table in one step, and releases held writes to the new
/// masters; a short timer retries releases and expires holds while anything is held.
/// </summary>
internal sealed partial class BackendRouter : IDisposable
{
    private readonly BackendPool _pool;
    private readonly TopologyOptions _topology;
    private readonly string _localDataCenter;
    private readonly ILogger _logger;
    private readonly Dictionary<string, WriteHold> _holds = new(StringComparer.Ordinal);
    private readonly Lock _swapLock = new();
    private readonly OnDemandTimer _pumpTimer;
    private RoutingTable _current;

    public BackendRouter(TopologyHolder topology, BackendPool pool, IOptions<TopologyOptions> topologyOptions, IOptions<ProxyOptions> proxyOptions, ILoggerFactory loggerFactory)
    {
        _pool = pool;
        _topology = topologyOptions.Value;
        _localDataCenter = proxyOptions.Value.DataCenter;
        _logger = loggerFactory.CreateLogger("RespProxy.Routing");
        _pumpTimer = new OnDemandTimer(TimeSpan.FromMilliseconds(20), PumpHolds);
        _current = Build(topology.Current);
        foreach (var group in _current.Groups)
        {
            if (group.Master is not null)
            {
                group.Master.AcceptsWrites = true;
            }
        }

        topology.Changed += (_, next) => Swap(next);
    }

    /// <summary>Read once per command; every key of the command routes against the same table.</summary>
    public RoutingTable Current => Volatile.Read(ref _current);

    private RoutingTable Build(TopologySnapshot snapshot) => new(snapshot, _pool, _topology, _localDataCenter, HoldOf);

    private WriteHold HoldOf(string group)
    {
        if (!_holds.TryGetValue(group, out var hold))
        {
            hold = new WriteHold(group, _topology.EffectiveHoldWritesMs, _topology.HoldWritesMaxBytes, _pumpTimer);
            _holds.Add(group, hold);
        }

        return hold;
    }

    private void Swap(TopologySnapshot next)
    {
        lock (_swapLock)
        {
            var previous = _current;
            var table = Build(next);
            var newMasters = new HashSet<BackendServer>(table.Groups.Where(g => g.Master is not null).Select(g => g.Master!));
            foreach (var group in previous.Groups)
            {
                if (group.Master is not null && !newMasters.Contains(group.Master))
                {
                    // Fenced before the new table is visible: a request routed with the old table is diverted to the
                    // hold when its connection would write it, never written to the demoted server.
                    group.Master.AcceptsWrites = false;
                    Log.MasterFenced(_logger, group.Name, group.Master.Endpoint);
                }
            }

            foreach (var master in newMasters)
            {
                master.AcceptsWrites = true;
                master.ReconnectNow();
            }

            Volatile.Write(ref _current, table);
            Log.TableSwapped(_logger, next.Version, table.Groups.Count);
        }

        _ = PumpHolds();
    }

    // Returns true while requests are still held: the timer runs again.
    private bool PumpHolds()
    {
        var table = Current;
        long now = Environment.TickCount64;
        bool holding = false;
        foreach (var group in table.Groups)
        {
            group.Hold.Pump(group.Master, now);
            holding |= group.Hold.IsActive;
        }

        return holding;
    }

    public void Dispose() => _pumpTimer.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, EventName = "MasterFenced", Level = LogLevel.Warning, Message = "Group {Group}: {Endpoint} is no longer master; nothing more is written to it.")]
        public static partial void MasterFenced(ILogger logger, string group, ServerEndpoint endpoint);

        [LoggerMessage(EventId = 301, EventName = "RoutingTableSwapped", Level = LogLevel.Information, Message = "Routing table for topology version {Version} published ({Groups} groups).")]
        public static partial void TableSwapped(ILogger logger, long version, int groups);
    }
}
