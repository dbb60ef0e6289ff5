using System.Threading.Tasks.Sources;

namespace RespProxy.Transport;

/// <summary>
/// One end of a <see cref="LockFreePipe"/> waiting for the other (a read for a flush, a paused flush for the reader),
/// ended by whichever party takes the announcement first: the other end, a canceller, or the waiting end itself when
/// it looks again and finds what it waited for. A mutable struct kept in a field of the end that owns the
/// <see cref="IValueTaskSource{TResult}"/>.
/// </summary>
/// <remarks>
/// The waiting end calls <see cref="Announce"/> (a full fence), then looks again; the other end publishes with a
/// full fence, then calls <see cref="TryEnd"/>. One of the two always sees the other's write, so no wake-up is lost.
/// </remarks>
internal struct PipeWait
{
    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _cancellation;
    private int _announced;

    public void Announce()
    {
        _core.Reset();
        Interlocked.Exchange(ref _announced, 1);
    }

    /// <summary>The waiting end found what it waited for: true when it withdrew the announcement itself, false when
    /// another party took it and is ending the wait.</summary>
    public bool Withdraw() => Interlocked.CompareExchange(ref _announced, 0, 1) == 1;

    /// <summary>The announced wait's version for the pending ValueTask; a cancellable token ends it as cancelled.</summary>
    public short Pending(Action<object?, CancellationToken> cancel, object owner, CancellationToken token)
    {
        if (token.CanBeCanceled)
        {
            _cancellation = token.UnsafeRegister(cancel, owner);
        }

        return _core.Version;
    }

    /// <summary>Ends the wait if one is announced and nobody took it yet; the continuation runs inline.</summary>
    public void TryEnd()
    {
        if (Take())
        {
            _core.SetResult(true);
        }
    }

    /// <summary>The token's callback: ends the wait with an <see cref="OperationCanceledException"/>.</summary>
    public void Cancel(CancellationToken token)
    {
        if (Take())
        {
            _core.SetException(new OperationCanceledException(token));
        }
    }

    public void GetResult(short token)
    {
        // Dispose waits for a cancellation callback that is running elsewhere, so none is left to end a later wait.
        _cancellation.Dispose();
        _cancellation = default;
        _core.GetResult(token);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private bool Take() => Volatile.Read(ref _announced) != 0 && Interlocked.Exchange(ref _announced, 0) != 0;
}
