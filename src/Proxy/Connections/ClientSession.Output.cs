using System.Buffers;
using RespProxy.Transport;
namespace RespProxy.Connections;

/// <summary>
/// The reply side of a client session. Replies complete on backend reader threads in any order; whoever completes
/// one tries to become the session's single writer and copies every finished reply from the head of the queue, in
/// request order, then flushes once. No lock: ownership is one compare-exchange, and a writer that gives it up looks
/// once more for replies that finished meanwhile.
/// </summary>
internal sealed partial class ClientSession
{
    private const int OutputFree = 0;
    private const int OutputHeld = 1;
    private const int OutputRetired = 2;

    // Reply order, single producer (the read loop appends at _tail) and single consumer (the output owner advances
    // _head). _head is a sentinel whose reply is already written; the producer never touches it.
    private PendingReply _head;
    private PendingReply _tail;
    private PendingReply? _free;
    private PendingReply? _returned;
    private int _outputOwner;
    private int _pending;

    // Output owner only.
    private DirectSendGate _directSend;

    /// <summary>Replies appended and not yet written to the client.</summary>
    public int PendingCount => Volatile.Read(ref _pending);

    /// <summary>Takes a recycled slot (or a new one while the pipeline deepens) prepared for this session.</summary>
    private PendingReply RentSlot()
    {
        var slot = _free;
        if (slot is null)
        {
            // Take everything the writer returned at once: an exchange, so there is no ABA to worry about.
            slot = Interlocked.Exchange(ref _returned, null) ?? new PendingReply();
        }

        _free = slot.NextFree;
        slot.NextFree = null;
        slot.Prepare(this);
        return slot;
    }

    private void Append(PendingReply slot)
    {
        Interlocked.Increment(ref _pending);
        Volatile.Write(ref _tail.Next, slot);
        _tail = slot;
    }

    private void ReturnSlot(PendingReply slot)
    {
        slot.ReleaseLargeBuffers();
        if (slot.Aggregate is { } aggregate)
        {
            slot.Aggregate = null;
            foreach (var child in aggregate.Children)
            {
                ReturnSlot(child);
            }
        }

        ReturnChain(slot, slot);
    }

    // Pushes slots linked first..last through NextFree onto the returned stack in one exchange.
    private void ReturnChain(PendingReply first, PendingReply last)
    {
        PendingReply? top;
        do
        {
            top = Volatile.Read(ref _returned);
            last.NextFree = top;
        }
        while (Interlocked.CompareExchange(ref _returned, first, top) != top);
    }

    /// <summary>Writes every reply that is ready at the head of the queue, if no one else is doing so now.</summary>
    public void TryWriteReplies()
    {
        while (TryTakeOutput())
        {
            int written;
            bool closeAfter;
            try
            {
                written = WriteReadyReplies(out closeAfter);
            }
            catch (Exception ex)
            {
                RetireAfterOutputFailure(ex);
                return;
            }

            if (!FlushAndRelease(flush: written > 0, closeAfter))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Backend reader thread: writes a large reply straight from the backend's buffer to the client when it is the next
    /// reply this client gets and no one else is writing, instead of copying it into its slot first. That saves a copy
    /// of the value, and a slot holding a large array between requests (which made the shared array pool drop and
    /// allocate large arrays). False when the reply must take the ordinary way (<see cref="PendingReply.Complete(in ReadOnlySequence{byte})"/>).
    /// </summary>
    public bool TryWriteThrough(PendingReply slot, in ReadOnlySequence<byte> frame)
    {
        if (slot.Transform is not null || slot.Parent is not null || slot.CloseAfter
            || !ReferenceEquals(Volatile.Read(ref _head.Next), slot)
            || !TryTakeOutput())
        {
            return false;
        }

        // Only the output owner advances _head, and the slot was next before the exchange: it still is.
        var written = _head;
        _head = slot;
        slot.MarkDone();
        ReturnSlot(written);
        CountWritten(1);
        var rest = frame;
        try
        {
            if (_directSend.IfIdle(_output) is { } direct)
            {
                // Everything flushed before is on the socket: the reply can go from the backend's buffer as it is.
                long sent = direct.TrySend(frame);
                _directSend.Sent(sent);
                rest = frame.Slice(sent);
            }

            foreach (var segment in rest)
            {
                _output.Write(segment.Span);
            }
        }
        catch (Exception ex)
        {
            RetireAfterOutputFailure(ex);
            return true;
        }

        if (FlushAndRelease(flush: true, closeAfter: false))
        {
            TryWriteReplies();
        }

        return true;
    }

    // Becomes the single writer of the output; false when another thread is, or the output is retired.
    private bool TryTakeOutput()
    {
        if (Interlocked.CompareExchange(ref _outputOwner, OutputHeld, OutputFree) != OutputFree)
        {
            return false;
        }

        if (Volatile.Read(ref _closed) != 0)
        {
            Interlocked.Exchange(ref _outputOwner, OutputRetired);
            return false;
        }

        return true;
    }

    // The output owner's last step: flushes what it wrote and gives the output up (or leaves that to the flush still
    // in progress, or retires it). True when a reply finished meanwhile: its writer gave up, so the caller looks again.
    private bool FlushAndRelease(bool flush, bool closeAfter)
    {
        try
        {
            // Nothing to flush when every byte went to the socket directly.
            if (flush && _directSend.Flushing(_output))
            {
                var pending = _output.FlushAsync();
                if (!pending.IsCompletedSuccessfully)
                {
                    _ = FinishFlushAsync(pending, closeAfter);
                    return false;
                }
            }
        }
        catch (Exception ex)
        {
            RetireAfterOutputFailure(ex);
            return false;
        }

        if (closeAfter)
        {
            Retire();
            return false;
        }

        Interlocked.Exchange(ref _outputOwner, OutputFree);
        return Volatile.Read(ref _head.Next) is { IsDone: true };
    }

    // Writing to this client failed: its transport is gone, or (logged) a bug. The caller may be a backend connection's
    // reader serving every client, so the failure stays with this session: it closes, and gives up the output for
    // good, where an escaping exception would fail the backend connection for everyone and leave this output held.
    private void RetireAfterOutputFailure(Exception exception)
    {
        if (exception is not (InvalidOperationException or IOException or ObjectDisposedException))
        {
            Log.OutputFailed(_runtime.Logger, Id, exception);
        }

        Retire();
    }

    private void CountWritten(int written)
    {
        if (Interlocked.Add(ref _pending, -written) < _pendingLimit)
        {
            SignalProgress();
        }
    }

    private int WriteReadyReplies(out bool closeAfter)
    {
        closeAfter = false;
        int written = 0;
        var head = _head;
        PendingReply? next;

        // Small replies share one staging buffer sent directly, or spans of the output pipe (StagedWrites): always the
        // pipe on a loop thread that batches its sends, where the flush joins the turn's one call for every client. The
        // slots they leave behind are chained and handed back in one exchange.
        var output = new StagedWrites(_output, _directSend.IfIdleForSmallWrites(_output));
        PendingReply? firstReturned = null;
        PendingReply? lastReturned = null;
        while ((next = Volatile.Read(ref head.Next)) is not null && next.IsDone)
        {
            output.Write(next.Reply.WrittenSpan);
            if (head.Aggregate is null)
            {
                head.ReleaseLargeBuffers();
                head.NextFree = firstReturned;
                firstReturned = head;
                lastReturned ??= head;
            }
            else
            {
                ReturnSlot(head);
            }

            head = next;
            written++;
            if (next.CloseAfter)
            {
                closeAfter = true;
                break;
            }
        }

        output.Commit();
        _directSend.Sent(output.SentDirectly);
        if (firstReturned is not null)
        {
            ReturnChain(firstReturned, lastReturned!);
        }

        _head = head;
        if (written > 0)
        {
            CountWritten(written);
        }

        return written;
    }

    private async Task FinishFlushAsync(ValueTask<System.IO.Pipelines.FlushResult> flush, bool closeAfter)
    {
        try
        {
            await flush;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
        {
            // The client went away; the read loop notices and closes the session.
        }

        if (closeAfter)
        {
            Retire();
            return;
        }

        Interlocked.Exchange(ref _outputOwner, OutputFree);
        TryWriteReplies();
    }

    // Nothing more is written to this client: after QUIT or a protocol error, or once the session closed.
    private void Retire()
    {
        Interlocked.Exchange(ref _outputOwner, OutputRetired);
        Volatile.Write(ref _closeRequested, 1);
        SignalProgress();

        // The read loop may be parked in a read from a client that waits for this very reply and sends nothing
        // more: without waking it the session (and the client's connection) would stay open for good. Woken from the
        // thread pool: the input's reader continuations run inline, and the caller may be a backend connection's
        // reader in the middle of its replies, which must not run this session's teardown inside its loop.
        ThreadPool.UnsafeQueueUserWorkItem(static session => session._input.CancelPendingRead(), this, preferLocal: false);
    }

    /// <summary>Waits until no writer is active and none can start; after this the output pipe is never touched.</summary>
    private async ValueTask RetireOutputAsync()
    {
        Volatile.Write(ref _closed, 1);

        // Writers copy and flush in microseconds; one still holding the output after a second is parked in a flush to
        // a client that does not read, which ends when the connection closes, and never writes again (it sees
        // _closed when it comes back).
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            int state = Interlocked.CompareExchange(ref _outputOwner, OutputRetired, OutputFree);
            if (state != OutputHeld)
            {
                return;
            }

            await Task.Delay(1);
        }
    }
}
