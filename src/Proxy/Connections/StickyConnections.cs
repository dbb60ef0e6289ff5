using RespProxy.Backends;

namespace RespProxy.Connections;

/// <summary>
/// Keeps a client's requests to one server on one backend connection while any of them is unanswered. Redis runs
/// each connection's commands in order but two connections independently, so a client moved to another connection
/// of the same server (its usual one failed, then came back) could see its GET run before its earlier SET.
/// Remembers the last few servers a session used; owned by the session's read loop.
/// </summary>
internal struct StickyConnections
{
    private const int Capacity = 4;

    private Entries _entries;
    private int _next;

    /// <summary>
    /// The connection <paramref name="slot"/> must use: the one the session's previous request to the same server
    /// used while that request is unanswered and the connection alive, otherwise <paramref name="routed"/>.
    /// </summary>
    public BackendConnection Choose(BackendConnection routed, PendingReply slot)
    {
        var server = routed.Server;
        int index = -1;
        for (int i = 0; i < Capacity; i++)
        {
            if (ReferenceEquals(_entries[i].Server, server))
            {
                index = i;
                break;
            }
        }

        var chosen = routed;
        if (index < 0)
        {
            index = _next;
            _next = (_next + 1) % Capacity;
        }
        else
        {
            ref var previous = ref _entries[index];
            bool unanswered = previous.Slot is { } last && last.Generation == previous.Generation && !last.IsDone;
            if (unanswered && previous.Connection is { IsAlive: true } sticky && !ReferenceEquals(sticky, routed))
            {
                chosen = sticky;
            }
        }

        // Field by field, and references only when they change: nearly always only the slot does, one write barrier.
        ref var entry = ref _entries[index];
        if (!ReferenceEquals(entry.Server, server))
        {
            entry.Server = server;
        }

        if (!ReferenceEquals(entry.Connection, chosen))
        {
            entry.Connection = chosen;
        }

        entry.Slot = slot;
        entry.Generation = slot.Generation;
        return chosen;
    }

    private struct Entry
    {
        public BackendServer? Server;
        public BackendConnection? Connection;
        public PendingReply? Slot;
        public int Generation;
    }

    [System.Runtime.CompilerServices.InlineArray(Capacity)]
    private struct Entries
    {
        private Entry _element;
    }
}
