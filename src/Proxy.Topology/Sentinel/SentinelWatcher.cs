using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RespProxy.Topology.Config;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>
/// Follows the masters and replicas of the configured groups through Redis Sentinel and publishes every change as a
/// new <see cref="TopologySnapshot"/> on the <see cref="TopologyHolder"/>.
/// </summary>
/// <remarks>
/// <para>One refresh loop does all the work: it asks every known sentinel (configured ones plus those discovered
/// with SENTINEL SENTINELS), picks each group's master by majority / highest config-epoch, confirms a new master with
/// ROLE before publishing it (until then the group has no master, so the proxy holds writes), vets every replica
/// (<see cref="ReplicaGate"/>) and publishes only when the result differs from the current snapshot.</para>
/// <para>Refreshes run every <see cref="PollInterval"/> and, coalesced, whenever a sentinel publishes an event;
/// events are hints, never trusted on their own. When no sentinel answers, the last topology stays in place and
/// <see cref="AllSentinelsDown"/> is set.</para>
/// </remarks>
public sealed partial class SentinelWatcher : IAsyncDisposable
{
    private static readonly TimeSpan SentinelRetryDelay = TimeSpan.FromSeconds(1);

    private readonly TopologyHolder _holder;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SnapshotBuilder _builder;
    private readonly DataCenterMap _dataCenters;
    private readonly IReadOnlyList<string> _groupNames;
    private readonly HashSet<string> _groupNameSet;
    private readonly IReadOnlyList<ServerEndpoint> _configuredSentinels;
    private readonly IReadOnlyList<IReadOnlyList<string>> _batch;
    private readonly RefreshSignal _signal = new();
    private readonly ConcurrentDictionary<string, SwitchEvent> _switchEvents = new(StringComparer.Ordinal);
    private readonly Lock _lifecycle = new();

    // Refresh-loop state (StartAsync's first refresh runs before the loop starts, DisposeAsync after it ended).
    private readonly List<SentinelLink> _links = [];
    private readonly Dictionary<string, ServerEndpoint> _confirmedMasters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _groupNotes = new(StringComparer.Ordinal);
    private readonly HashSet<ServerEndpoint> _everFailed = [];
    private ServerProber? _prober;

    private CancellationTokenSource? _stop;
    private Task _startup = Task.CompletedTask;
    private Task _loop = Task.CompletedTask;
    private Task _ticker = Task.CompletedTask;
    private volatile bool _allSentinelsDown;
    private volatile string? _lastError;
    private volatile IReadOnlyList<ServerEndpoint> _knownSentinels = [];
    private int _reachableSentinels;
    private bool _started;
    private bool _disposed;

    /// <exception cref="ArgumentException">No sentinels or groups, an address or slot list that does not parse, a group twice, or slots not covering 0-16383.</exception>
    /// <exception cref="FormatException">A DataCenters entry is neither a CIDR, an address nor a host name.</exception>
    public SentinelWatcher(TopologyOptions options, TopologyHolder holder, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _holder = holder ?? throw new ArgumentNullException(nameof(holder));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = time ?? TimeProvider.System;

        if (options.Sentinels.Count == 0)
        {
            throw new ArgumentException("Topology:Sentinels needs at least one sentinel address.", nameof(options));
        }

        if (options.Groups.Count == 0)
        {
            throw new ArgumentException("Topology:Groups needs at least one monitored master name.", nameof(options));
        }

        _configuredSentinels = options.Sentinels
            .Select(text => ServerEndpoint.TryParse(text, out var endpoint)
                ? endpoint
                : throw new ArgumentException($"Topology:Sentinels entry '{text}' is not a host:port address.", nameof(options)))
            .Distinct()
            .ToArray();
        _groupNames = options.Groups.Select(group => group.Name).ToArray();
        _groupNameSet = new HashSet<string>(_groupNames, StringComparer.Ordinal);
        if (_groupNameSet.Count != _groupNames.Count || _groupNames.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("Topology:Groups names must be non-empty and unique.", nameof(options));
        }

        try
        {
            _builder = new SnapshotBuilder(options.Groups);
            _builder.BuildEmpty(0); // proves the slot ranges cover 0-16383 exactly once
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("Topology:Groups " + ex.Message, nameof(options), ex);
        }

        _dataCenters = DataCenterMap.FromOptions(options);
        _batch = SentinelQueries.BuildBatch(_groupNames);
    }

    /// <summary>
    /// Raised after a snapshot with a newly confirmed master was published: (group, the previously confirmed master or
    /// null when there was none — e.g. the first discovery, the new master). Runs on the refresh loop; keep it short.
    /// </summary>
    public event Action<string, ServerEndpoint?, ServerEndpoint>? MasterSwitched;

    /// <summary>Backstop refresh period; events trigger refreshes sooner. Default 250 ms.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Deadline for connecting and for each command batch to one sentinel or server. Default 500 ms.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>ACL user for sentinels (AUTH user password); null for the default user.</summary>
    public string? SentinelUser { get; init; }

    /// <summary>Password for sentinels; null when they need none.</summary>
    public string? SentinelPassword { get; init; }

    /// <summary>ACL user for the redis servers probed with ROLE / INFO.</summary>
    public string? RedisUser { get; init; }

    /// <summary>Password for the redis servers; null when they need none.</summary>
    public string? RedisPassword { get; init; }

    /// <summary>A replica further behind its master than this many bytes of replication offset gets no reads; null (default) for no limit.</summary>
    public long? MaxReplicaLagBytes { get; init; }

    /// <summary>True while no known sentinel answers; the last published topology stays in place meanwhile.</summary>
    public bool AllSentinelsDown => _allSentinelsDown;

    /// <summary>The most recent problem (a sentinel unreachable, all of them down, a failed refresh); null if none yet.</summary>
    public string? LastError => _lastError;

    /// <summary>Sentinels that answered the last refresh.</summary>
    public int ReachableSentinelCount => Volatile.Read(ref _reachableSentinels);

    /// <summary>Configured and discovered sentinels.</summary>
    public IReadOnlyList<ServerEndpoint> KnownSentinels => _knownSentinels;

    /// <summary>
    /// When the first +switch-master event for the group's latest switch arrived (from any sentinel), or null when none
    /// arrived since the watcher started. With the published snapshot time it measures failover-to-first-write.
    /// </summary>
    public DateTimeOffset? LastSwitchMasterEventAt(string groupName) =>
        _switchEvents.TryGetValue(groupName, out var switchEvent) ? switchEvent.At : null;

    /// <summary>A version-0 sentinel snapshot with every configured group and no servers: the holder's value before discovery.</summary>
    public static TopologySnapshot CreateInitialSnapshot(TopologyOptions options) => new SnapshotBuilder(options.Groups).BuildEmpty(0);

    /// <summary>
    /// Connects to the sentinels, runs the first refresh (so the topology is known when this returns, unless every
    /// sentinel is down — then it keeps retrying in the background) and starts the poll loop and the subscriptions.
    /// <paramref name="cancellationToken"/> only bounds this start; <see cref="DisposeAsync"/> stops the watcher.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (PollInterval <= TimeSpan.Zero || CommandTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("PollInterval and CommandTimeout must be positive.");
        }

        if (MaxReplicaLagBytes < 0)
        {
            throw new InvalidOperationException("MaxReplicaLagBytes must not be negative.");
        }

        CancellationTokenSource stop;
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                throw new InvalidOperationException("The sentinel watcher was already started.");
            }

            _started = true;
            stop = _stop = new CancellationTokenSource();
        }

        _prober = new ServerProber(new ConnectionCredentials(RedisUser, RedisPassword), CommandTimeout, _time);
        foreach (var sentinel in _configuredSentinels)
        {
            AddLink(sentinel, stop.Token);
        }

        using (var startup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stop.Token))
        {
            var first = RefreshOnceAsync(startup.Token);
            lock (_lifecycle)
            {
                _startup = first;
            }

            await first.ConfigureAwait(false);
        }

        lock (_lifecycle)
        {
            if (!_disposed)
            {
                _loop = Task.Run(() => RunLoopAsync(stop.Token), CancellationToken.None);
                _ticker = Task.Run(() => TickAsync(stop.Token), CancellationToken.None);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        CancellationTokenSource? stop;
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            stop = _stop;
        }

        if (stop is null)
        {
            return;
        }

        await stop.CancelAsync().ConfigureAwait(false);
        _signal.Complete();
        Task[] running;
        lock (_lifecycle)
        {
            running = [_startup, _loop, _ticker];
        }

        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The first refresh was still running when the watcher was disposed.
        }

        foreach (var link in _links)
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }

        if (_prober is not null)
        {
            await _prober.DisposeAsync().ConfigureAwait(false);
        }

        stop.Dispose();
    }

    private async Task RunLoopAsync(CancellationToken stop)
    {
        try
        {
            while (await _signal.WaitAsync(stop).ConfigureAwait(false))
            {
                await RefreshOnceAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task TickAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(PollInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                _signal.Request();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task RefreshOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // A bug or an unexpected reply must not end the watcher: keep the topology, try again next time.
            _lastError = "refresh failed: " + ex.Message;
            Log.RefreshFailed(_logger, ex);
        }
    }

    private void AddLink(ServerEndpoint endpoint, CancellationToken stop)
    {
        var callbacks = new SubscriptionCallbacks(OnSubscribed, OnSentinelEvent, OnSubscriptionLost);
        var link = new SentinelLink(
            endpoint, new ConnectionCredentials(SentinelUser, SentinelPassword), CommandTimeout, SentinelRetryDelay, _time, callbacks);
        _links.Add(link);
        _knownSentinels = _links.Select(l => l.Endpoint).ToArray();
        link.StartSubscription(stop);
    }
}
