using System.Text;
using RespProxy.Backends;
using RespProxy.Connections;
using RespProxy.Hosting;

namespace RespProxy.Routing;

/// <summary>
/// Holds a group's master-bound requests while it has no reachable master (a failover in progress) and sends them,
/// in arrival order, to the next master once it is confirmed and connected. Past the time or memory bound a request is
/// answered with -TRYAGAIN. Lives as long as the group, across topology snapshots.
/// </summary>
/// <remarks>
/// The lock is taken only while holding is active or being switched on or off; the steady-state request path reads
/// <see cref="IsActive"/> and goes straight to the master's connection.
/// </remarks>
internal sealed class WriteHold
{
    private readonly Lock _lock = new();
    private readonly Queue<PendingReply> _held = new();
    private readonly int _holdMs;
    private readonly long _maxBytes;
    private readonly byte[] _timeoutReply;
    private readonly byte[] _fullReply;
    private readonly OnDemandTimer _pump;
    private long _heldBytes;
    private volatile bool _active;

    /// <param name="pump">Runs <see cref="Pump"/> while anything is held; armed here when a request is held.</param>
    public WriteHold(string groupName, int holdMs, long maxBytes, OnDemandTimer pump)
    {
        GroupName = groupName;
        _pump = pump;
        _holdMs = holdMs;
        _maxBytes = maxBytes;
        _timeoutReply = Encoding.UTF8.GetBytes($"TRYAGAIN no master for group '{groupName}' within {holdMs} ms (failover in progress)");
        _fullReply = Encoding.UTF8.GetBytes($"TRYAGAIN no master for group '{groupName}' and the hold buffer is full (failover in progress)");
    }

    public string GroupName { get; }

    /// <summary>True while requests are held or being released; new requests then queue behind them.</summary>
    public bool IsActive => _active;

    public int HeldCount
    {
        get
        {
            lock (_lock)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>
    /// Routes a master-bound request when the fast path could not: to the master's connection if holding is off and
    /// the master is reachable (returned, the caller enqueues and sends), else into the hold. Returns null when the
    /// request was held or answered with an error.
    /// </summary>
    public BackendConnection? RouteOrHold(PendingReply slot, BackendServer? master, long affinity)
    {
        byte[]? error;
        lock (_lock)
        {
            if (!_active)
            {
                var connection = master is { AcceptsWrites: true } ? master.GetConnection(affinity) : null;
                if (connection is not null)
                {
                    return connection;
                }
            }

            error = HoldLocked(slot, master);
        }

        AnswerOrPump(slot, error);
        return null;
    }

    /// <summary>A request that could not be sent to its (former) master and was never written: hold it again.</summary>
    public void Hold(PendingReply slot, BackendServer? formerMaster)
    {
        byte[]? error;
        lock (_lock)
        {
            error = HoldLocked(slot, formerMaster);
        }

        AnswerOrPump(slot, error);
    }

    private void AnswerOrPump(PendingReply slot, byte[]? error)
    {
        if (error is not null)
        {
            Answer(slot, error);
        }
        else
        {
            _pump.Arm();
        }
    }

    // Returns the error to answer with (outside the lock) when the request cannot be held.
    private byte[]? HoldLocked(PendingReply slot, BackendServer? master)
    {
        if (_holdMs <= 0)
        {
            return master?.UnavailableReply ?? _timeoutReply;
        }

        long size = slot.Request.WrittenCount;
        if (_heldBytes + size > _maxBytes)
        {
            return _fullReply;
        }

        slot.HeldAt = Environment.TickCount64;
        _held.Enqueue(slot);
        _heldBytes += size;
        _active = true;
        return null;
    }

    private static void Answer(PendingReply slot, byte[] error)
    {
        var owner = slot.Owner!;
        slot.CompleteWithError(error);
        owner.TryWriteReplies();
    }

    /// <summary>
    /// Sends everything held to <paramref name="master"/> when it takes writes and is connected, else answers the
    /// requests held too long. Called on every topology change and by a short timer while anything is held.
    /// </summary>
    public void Pump(BackendServer? master, long now)
    {
        if (!_active)
        {
            return;
        }

        List<BackendConnection>? released = null;
        List<PendingReply>? expired = null;
        lock (_lock)
        {
            if (master is { AcceptsWrites: true } && master.GetConnection(0) is not null)
            {
                released = [];
                while (_held.TryDequeue(out var slot))
                {
                    // Each on the connection its client's next requests will take (the same affinity), so a client's
                    // released requests and its later ones stay in one connection's order.
                    var connection = master.GetConnection(slot.Owner!.Id);
                    if (connection is null)
                    {
                        (expired ??= []).Add(slot);
                        continue;
                    }

                    connection.Enqueue(slot);
                    if (!released.Contains(connection))
                    {
                        released.Add(connection);
                    }
                }

                _heldBytes = 0;
                _active = false;
            }
            else
            {
                while (_held.TryPeek(out var oldest) && now - oldest.HeldAt >= _holdMs)
                {
                    _held.Dequeue();
                    _heldBytes -= oldest.Request.WrittenCount;
                    (expired ??= []).Add(oldest);
                }

                _active = _held.Count > 0;
            }
        }

        // Socket writes and client replies happen outside the lock.
        if (released is not null)
        {
            foreach (var connection in released)
            {
                connection.Send();
            }
        }

        if (expired is not null)
        {
            foreach (var slot in expired)
            {
                Answer(slot, _timeoutReply);
            }
        }
    }
}
