using System.Threading.Channels;

namespace RespProxy.Topology.Sentinel;

/// <summary>
/// Coalescing wake-up for the refresh loop: any number of requests while a refresh is pending or running collapse
/// into one more refresh, so a burst of sentinel events costs one rebuild, not one per event.
/// </summary>
internal sealed class RefreshSignal
{
    private readonly Channel<bool> _pending = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>Never blocks; a no-op when a refresh is already pending.</summary>
    public void Request() => _pending.Writer.TryWrite(true);

    /// <summary>Waits for the next request and consumes it; false once <see cref="Complete"/> was called.</summary>
    public async ValueTask<bool> WaitAsync(CancellationToken cancellationToken)
    {
        if (!await _pending.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        return _pending.Reader.TryRead(out _);
    }

    public void Complete() => _pending.Writer.TryComplete();
}
