namespace RespProxy.Topology.Model;

/// <summary>
/// Holds the one current <see cref="TopologySnapshot"/>. Readers take it with a volatile read and keep it for the
/// whole command; the single writer (config or discovery) replaces it with one exchange and then notifies.
/// </summary>
public sealed class TopologyHolder
{
    private TopologySnapshot _current;

    public TopologyHolder(TopologySnapshot initial)
    {
        _current = initial;
    }

    /// <summary>Raised after a new snapshot is published, with (previous, current).</summary>
    public event Action<TopologySnapshot, TopologySnapshot>? Changed;

    public TopologySnapshot Current => Volatile.Read(ref _current);

    public void Publish(TopologySnapshot next)
    {
        var previous = Interlocked.Exchange(ref _current, next);
        Changed?.Invoke(previous, next);
    }
}
