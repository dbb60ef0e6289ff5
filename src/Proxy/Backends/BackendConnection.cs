using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using RespProxy.Connections;
using RespProxy.Resp.Framing;
using RespProxy.Transport;

namespace RespProxy.Backends;

/// <summary>
/// One TCP connection to a Redis server, shared by every client. Requests from many sessions are queued, written in
/// one batch and flushed once; the server answers in the same order, so replies are matched to requests by a FIFO
/// of in-flight slots. When the connection fails, every request queued or in flight gets an error reply at once.
/// </summary>
/// <remarks>
/// Lock-free: sessions enqueue and then call <see cref="Send"/>; whoever wins the send flag writes every queued
/// request (recording each in the in-flight FIFO before its bytes, so the reply can never arrive first), and looks
/// again after giving the flag up. A session that enqueues after the connection died fails its own slot, because
/// failure drains the queues after the dead flag is set and enqueuers check the flag after enqueueing.
/// <para>
/// Write coalescing. On an epoll loop thread (the default transport) a request is written after every event of the
/// loop's current batch has been handled, together with everything else queued for this connection meanwhile: one
/// write per batch, no thread hand-off. Elsewhere (Kestrel sockets, timers releasing held writes) requests that arrive
/// while earlier ones still wait for replies stay queued and leave when the reader has delivered the next batch of
/// replies; no request waits for nothing there either: a sender that finds no reply outstanding writes at once, and
/// the reader looks at the queue after every batch. Both sides publish (enqueue, or lower the outstanding count) with
/// a full fence before they look at the other's state, so at least one of them sees a request the other left behind.
/// </para>
/// </remarks>
internal sealed partial class BackendConnection : IEndOfBatchWork
{
    private readonly ConnectionContext _connection;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly BackendServer _server;
    private readonly ConcurrentQueue<PendingReply> _sendQueue = new();
    private readonly ConcurrentQueue<PendingReply> _inFlight = new();
    private readonly List<ClientSession> _touchedSessions = [];
    private RespFrameScanner _scanner;

    // The output's single writer: held while writing, never across a wait. A send that waits for the socket (a flush of
    // the pipe, or a lent batch's direct send) is marked by _flushPending instead, so a large write can still join the
    // output meanwhile (TryWriteNow); the wait's completion sends whatever was written or queued while it waited.
    private int _sending;
    private int _flushPending;
    private int _awaitingReplies;
    private int _endOfBatchScheduled;
    private long _progressAt;

    // Only the holder of the send flag touches these.
    private DirectSendGate _directSend;
    private LentBatch? _lent;
    private bool _lentWaited;
    private long _lastBatchBytes;
    private int _dead;
    private byte[] _failureReply = Array.Empty<byte>();

    public BackendConnection(BackendServer server, ConnectionContext connection)
    {
        _server = server;
        _connection = connection;
        _input = connection.Transport.Input;
        _output = connection.Transport.Output;
        _directSend = new DirectSendGate(connection.Features.Get<IDirectSendFeature>());
    }

    public bool IsAlive => Volatile.Read(ref _dead) == 0;

    /// <summary>Large writes that went into the output while a flush waited for the socket (diagnostics, tests).</summary>
    public long WritesBehindWaitingFlush { get; private set; }

    /// <summary>Large writes sent from their client's input, never copied (diagnostics, tests).</summary>
    public long WritesLentFromClientInput { get; private set; }

    /// <summary>Times a batch with lent writes found the socket full and waited for it (diagnostics, tests).</summary>
    public long LentBatchWaits { get; private set; }

    public BackendServer Server => _server;

    /// <summary>Queues a request; <see cref="Send"/> (once per batch) puts it on the wire.</summary>
    public void Enqueue(PendingReply slot)
    {
        _sendQueue.Enqueue(slot);
        if (!IsAlive)
        {
            FailQueued();
        }
    }

    /// <summary>
    /// Puts queued requests on the wire (see the remarks): after the current event batch on an epoll loop; elsewhere
    /// at once when no earlier request waits for its reply, or else with the next batch of replies. Without write
    /// coalescing, at once.
    /// </summary>
    public void Send()
    {
        if (!_server.CoalesceWrites)
        {
            SendNow();
        }
        else if (EpollLoop.Current is { } loop)
        {
            // On an epoll loop: one write after every event of this batch, like a single-threaded event loop.
            ScheduleEndOfBatch(loop);
        }
        else if (Volatile.Read(ref _awaitingReplies) == 0)
        {
            // Volatile.Read after the enqueue's interlocked tail update: the pair with the reader's decrement-then-look.
            SendNow();
        }
    }

    private void ScheduleEndOfBatch(EpollLoop loop)
    {
        if (Interlocked.CompareExchange(ref _endOfBatchScheduled, 1, 0) == 0)
        {
            loop.RunAtEndOfBatch(this);
        }
    }

    void IEndOfBatchWork.RunAtEndOfBatch()
    {
        // Cleared before the drain: a request queued after the drain began schedules another write.
        Interlocked.Exchange(ref _endOfBatchScheduled, 0);
        SendNow();
    }

    private void SendNow()
    {
        while (Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
        {
            HeldSend outcome;
            ValueTask<FlushResult> flush;
            try
            {
                outcome = SendHeld(out flush);
            }
            catch (Exception ex)
            {
                Interlocked.Exchange(ref _sending, 0);
                FailAfterCrashWhileSending(ex);
                return;
            }

            Interlocked.Exchange(ref _sending, 0);
            switch (outcome)
            {
                case HeldSend.BehindWaitingSend:
                    // The waiting send's completion sends what is queued. Looked at again after letting the flag go:
                    // that completion may have come in between and found the flag taken (both sides fence, so one of
                    // them sees it).
                    if (Volatile.Read(ref _flushPending) != 0)
                    {
                        return;
                    }

                    continue;
                case HeldSend.LentBatchWaits:
                    _ = FinishLentSendAsync();
                    return;
                case HeldSend.FlushWaits:
                    _ = FinishFlushAsync(flush);
                    return;
                case HeldSend.ConnectionDead:
                    FailQueued();
                    return;
                default:
                    if (_sendQueue.IsEmpty)
                    {
                        return;
                    }

                    continue;
            }
        }
    }

    private enum HeldSend
    {
        Sent,
        BehindWaitingSend,
        LentBatchWaits,
        FlushWaits,
        ConnectionDead,
    }

    // Writes and sends what is queued; only the holder of the send flag calls this, and the caller gives the flag up
    // (whatever happens here, so a failure cannot leave it taken). A send that must wait for the socket is marked
    // (_flushPending) before it returns, so the flag never covers a wait.
    private HeldSend SendHeld(out ValueTask<FlushResult> flush)
    {
        flush = default;
        if (Volatile.Read(ref _flushPending) != 0)
        {
            return HeldSend.BehindWaitingSend;
        }

        long now = Environment.TickCount64;
        if (_lent is { IsEmpty: false } lent)
        {
            if (SendLentBatch(lent, now))
            {
                // The rest of the batch waits for the socket, as a flush would (see _flushPending).
                Volatile.Write(ref _flushPending, 1);
                return HeldSend.LentBatchWaits;
            }
        }
        else
        {
            // Sent straight from a staging buffer when everything flushed earlier is on the wire (StagedWrites),
            // unless the last batch outgrew the staging buffer (batches that large, deep pipelines, would be staged
            // in part, then copied into the pipe after all), or the loop batches its sends: the pipe's flush then
            // joins the turn's one call with the clients' replies.
            var output = new StagedWrites(_output, _lastBatchBytes > StagedWrites.StagingSize ? null : _directSend.IfIdleForSmallWrites(_output));
            CountWritten(WriteQueued(ref output, now, _server.AcceptsWrites, out _lastBatchBytes), now);
            output.Commit();
            _directSend.Sent(output.SentDirectly);
            _lentWaited = false;
        }

        if (!IsAlive)
        {
            return HeldSend.ConnectionDead;
        }

        if (_directSend.Flushing(_output))
        {
            flush = _output.FlushAsync();
            if (!flush.IsCompletedSuccessfully)
            {
                Volatile.Write(ref _flushPending, 1);
                return HeldSend.FlushWaits;
            }
        }

        return HeldSend.Sent;
    }

    // An exception while the send flag was held is a bug, or a write racing with the connection's end. Either way it
    // costs this connection only: its requests get the error and the server connects again. Left alone, the flag would
    // stay taken and every later request would wait in the queue unanswered, with no reply owed for the timeout to see.
    private void FailAfterCrashWhileSending(Exception exception)
    {
        if (IsAlive)
        {
            _server.OnCrashWhileSending(exception);
        }

        Fail("internal error while sending: " + exception.Message);
    }

    // Writes every queued request (only the holder of the send flag calls this); returns how many were written.
    private int WriteQueued<TWriter>(ref TWriter output, long now, bool acceptsWrites, out long bytes)
        where TWriter : IFrameWriter, allows ref struct
    {
        int written = 0;
        bytes = 0;
        while (_sendQueue.TryDequeue(out var slot))
        {
            if (slot.NeedsMaster && !acceptsWrites)
            {
                // Routed with a table from before a failover: this server is no longer (or not yet) the master.
                slot.Group!.Hold.Hold(slot, _server);
                continue;
            }

            slot.SentAt = now;
            _inFlight.Enqueue(slot);
            output.Write(slot.Request.WrittenSpan);
            bytes += slot.Request.WrittenCount;
            written++;
        }

        return written;
    }

    // Counted once per batch, before the batch goes on the wire (no reply can come back earlier).
    private void CountWritten(int written, long now)
    {
        if (written == 0)
        {
            return;
        }

        if (Volatile.Read(ref _awaitingReplies) == 0)
        {
            // Idle until now: the no-progress clock of the timeout starts with this batch.
            Volatile.Write(ref _progressAt, now);
        }

        if (Interlocked.Add(ref _awaitingReplies, written) == written)
        {
            // From none owed to some (exactly: the reader never takes the count below zero): the timeout check,
            // which stops while nothing is owed, runs again.
            _server.OnAwaitingReplies();
        }
    }

    /// <summary>
    /// Sends a large request for the master behind everything queued earlier without copying it into its slot. While
    /// nothing unflushed waits in the output, it is not copied at all: it joins a <see cref="LentBatch"/> and leaves from
    /// the client's input blocks with the batch's gathered send, after the loop's current batch of events or, while the
    /// socket is full, as it takes more (deep pipelines of large writes fill it, and waiting for it must not cost them
    /// a copy). Otherwise it is copied into the output once, and flushed with it. Returns false, having written
    /// nothing, when another thread is writing to the output at that moment, outside an epoll loop, when the server no
    /// longer takes writes (the request must be held), or when a send waits for the socket and the server has answered
    /// nothing for <see cref="BackendServer.StallGraceMs"/>.
    /// </summary>
    /// <remarks>
    /// The slot keeps no copy, so only a request that is never sent anywhere again may come here: a write to a master
    /// fails with an error if the connection does, and is never rerouted (reads are, by FailAll) or resent.
    /// </remarks>
    public bool TryWriteNow(PendingReply slot, in ReadOnlySequence<byte> request)
    {
        if (EpollLoop.Current is not { } loop || !_server.CoalesceWrites
            || Interlocked.CompareExchange(ref _sending, 1, 0) != 0)
        {
            return false;
        }

        bool inFlight = false;
        bool written;
        try
        {
            written = WriteNowHeld(slot, request, ref inFlight);
        }
        catch (Exception ex)
        {
            Interlocked.Exchange(ref _sending, 0);
            FailAfterCrashWhileSending(ex);

            // A slot already in flight got the connection's error; one that is not is queued by the caller, and gets
            // it there (Enqueue on a dead connection).
            return inFlight;
        }

        Interlocked.Exchange(ref _sending, 0);
        if (!written)
        {
            return false;
        }

        if (!IsAlive)
        {
            // The send after the batch then gives back what a lent batch holds (SendLentBatch on a dead connection).
            FailQueued();
        }

        // Unflushed bytes in the output also keep any other writer from sending directly ahead of them (DirectSendGate).
        ScheduleEndOfBatch(loop);
        return true;
    }

    // TryWriteNow's write, while it holds the send flag; false when it must not write (see TryWriteNow).
    private bool WriteNowHeld(PendingReply slot, in ReadOnlySequence<byte> request, ref bool inFlight)
    {
        bool acceptsWrites = _server.AcceptsWrites;
        if (!acceptsWrites || !IsAlive)
        {
            return false;
        }

        long now = Environment.TickCount64;
        bool flushPending = Volatile.Read(ref _flushPending) != 0;
        if (flushPending)
        {
            if (now - Volatile.Read(ref _progressAt) > _server.StallGraceMs)
            {
                // Behind the flush of a server that answers, never of one that stopped: it may be failed over
                // meanwhile, and a write still queued is then held and sent to the new master (WriteQueued), while one
                // in this output would reach the demoted server if it came back, and be lost when it resyncs.
                return false;
            }

            WritesBehindWaitingFlush++;
        }

        int written;
        if (_lent is { IsEmpty: false } || (_output.UnflushedBytes == 0 && (flushPending || _directSend.IfIdle(_output) is not null)))
        {
            // Nothing unflushed in the pipe: the request stays in the client's input until the batch is sent
            // (SendLentBatch), at the end of the loop's batch or when the waiting flush completes.
            var lent = new LentWrites(_lent ??= new LentBatch(), _output);
            written = WriteQueued(ref lent, now, acceptsWrites, out _);
            slot.SentAt = now;
            _inFlight.Enqueue(slot);
            inFlight = true;
            if (lent.Lend(request))
            {
                WritesLentFromClientInput++;
            }

            lent.Commit();
        }
        else
        {
            var output = new StagedWrites(_output, direct: null);
            written = WriteQueued(ref output, now, acceptsWrites, out _);
            output.Commit();
            slot.SentAt = now;
            _inFlight.Enqueue(slot);
            inFlight = true;
            foreach (var segment in request)
            {
                _output.Write(segment.Span);
            }
        }

        CountWritten(written + 1, now);
        return true;
    }

    private async Task FinishFlushAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            var result = await flush;
            if (result.IsCompleted || result.IsCanceled)
            {
                Fail("connection closed while sending");
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ConnectionResetException or OperationCanceledException)
        {
            Fail(ex.Message);
        }

        Volatile.Write(ref _flushPending, 0);
        SendNow();
    }

    /// <summary>Reads replies until the connection fails; returns the reason.</summary>
    public async Task<string> RunReaderAsync()
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync();
                var buffer = result.Buffer;
                int delivered = 0;
                string? error = DeliverReplies(ref buffer, ref delivered);
                _input.AdvanceTo(buffer.Start, buffer.End);

                if (delivered > 0)
                {
                    Volatile.Write(ref _progressAt, Environment.TickCount64);
                }

                // Requests queued while these replies were outstanding are sent (or scheduled) before the replies go
                // to clients, so the server can start on them meanwhile.
                Interlocked.Add(ref _awaitingReplies, -delivered);
                if (!_sendQueue.IsEmpty)
                {
                    Send();
                }

                WriteTouchedSessions();
                if (error is not null)
                {
                    return error;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    return "connection closed by server";
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or InvalidOperationException or OperationCanceledException)
        {
            return ex.Message;
        }
    }

    private string? DeliverReplies(ref ReadOnlySequence<byte> buffer, ref int delivered)
    {
        Span<byte> head = stackalloc byte[16];
        while (true)
        {
            // Replies whole in the first segment, as nearly all are, are measured and copied straight from its span;
            // the sequence is sliced once for all of them instead of once per reply.
            if (!_scanner.IsMidFrame)
            {
                var span = buffer.FirstSpan;
                int offset = 0;
                while (offset < span.Length && RespFrameScanner.TryMeasureWholeLeaf(span[offset..], out int leafLength))
                {
                    if (!_inFlight.TryDequeue(out var slot))
                    {
                        return ReplyWithoutRequest;
                    }

                    delivered++;
                    var leaf = span.Slice(offset, leafLength);
                    if (!IsRefusedRead(slot, leaf))
                    {
                        // Read the owner before publishing: once done, the slot may be recycled by its session.
                        var owner = slot.Owner!;
                        if (leafLength <= LargeReply || !owner.TryWriteThrough(slot, buffer.Slice(offset, leafLength)))
                        {
                            slot.Complete(leaf);
                            Touch(owner);
                        }
                    }

                    offset += leafLength;
                }

                if (offset > 0)
                {
                    buffer = buffer.Slice(offset);
                }
            }

            // Anything else (arrays, frames across segments, frames still arriving): the resumable scanner.
            var status = _scanner.TryScan(buffer, out long length);
            if (status == ScanResult.NeedMoreData)
            {
                return null;
            }

            if (status == ScanResult.Invalid)
            {
                return "protocol error in a reply from the server";
            }

            if (!_inFlight.TryDequeue(out var framed))
            {
                return ReplyWithoutRequest;
            }

            delivered++;
            int headLength = (int)Math.Min(length, head.Length);
            buffer.Slice(0, headLength).CopyTo(head);
            if (!IsRefusedRead(framed, head[..headLength]))
            {
                var owner = framed.Owner!;
                var frame = buffer.Slice(0, length);
                if (length <= LargeReply || !owner.TryWriteThrough(framed, frame))
                {
                    framed.Complete(frame);
                    Touch(owner);
                }
            }

            buffer = buffer.Slice(length);
        }
    }

    private const string ReplyWithoutRequest = "reply from the server without a request";

    // Replies longer than this go straight to their client when they can (ClientSession.TryWriteThrough); shorter ones
    // are cheaper to gather with the others of the batch and write once per client.
    private const int LargeReply = GatheredWrites.SmallFrame;

    // A replica still loading or cut off from its master refused a read: the read is routed elsewhere, and the server
    // kept out of reads until a new handshake shows it in sync. `head` is the reply's first bytes (16 are enough).
    // The first test, inlined, settles nearly every reply: only an error from a replica reaches the rest.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool IsRefusedRead(PendingReply slot, ReadOnlySpan<byte> head)
        => head[0] == (byte)'-' && RerouteIfReplicaRefused(slot, head);

    private bool RerouteIfReplicaRefused(PendingReply slot, ReadOnlySpan<byte> head)
    {
        if (slot.NeedsMaster || slot.Group is null || _server.AcceptsWrites
            || !(head.StartsWith("-LOADING"u8) || head.StartsWith("-MASTERDOWN"u8)))
        {
            return false;
        }

        _server.SuspendReads("replica refused a read (LOADING or MASTERDOWN)");
        slot.Group.Reroute(slot, (uint)slot.SentAt);
        return true;
    }

    private void Touch(ClientSession session)
    {
        var list = _touchedSessions;
        if (list.Count == 0 || !ReferenceEquals(list[^1], session))
        {
            list.Add(session);
        }
    }

    // One write-and-flush per client per batch of replies, not one per reply.
    private void WriteTouchedSessions()
    {
        var list = _touchedSessions;
        for (int i = 0; i < list.Count; i++)
        {
            list[i].TryWriteReplies();
        }

        list.Clear();
    }

    /// <summary>Marks the connection dead and answers everything queued or in flight with an error.</summary>
    public void Fail(string reason)
    {
        // The reply text is published before the dead flag, so whoever sees the flag can answer with it.
        Interlocked.CompareExchange(ref _failureReply, BackendErrors.Unavailable(_server.Endpoint, reason), Array.Empty<byte>());
        if (Interlocked.Exchange(ref _dead, 1) == 0)
        {
            _connection.Abort(new ConnectionAbortedException(reason));

            // Wakes the reader even where aborting does not end a pending read (in-memory transports).
            _input.CancelPendingRead();
        }

        FailQueued();
    }

    private void FailQueued()
    {
        var error = Volatile.Read(ref _failureReply);
        FailAll(_inFlight, error);
        FailAll(_sendQueue, error);
    }

    // A read is routed again (another replica, or the master): running it twice changes nothing, and reads of one
    // client to replicas carry no order. A request for the master is answered with the error, written or not: sending
    // it again elsewhere could run it after the client's later requests, and a written one may already have run.
    private static void FailAll(ConcurrentQueue<PendingReply> queue, byte[] error)
    {
        while (queue.TryDequeue(out var slot))
        {
            var group = slot.Group;
            if (group is not null && !slot.NeedsMaster)
            {
                group.Reroute(slot, (uint)slot.SentAt);
                continue;
            }

            var owner = slot.Owner!;
            slot.CompleteWithError(error);
            owner.TryWriteReplies();
        }
    }

    /// <summary>
    /// True when replies are owed and none has arrived for <paramref name="timeoutMs"/> (since the last reply, or since
    /// the connection went from idle to busy). Not the age of the oldest request: peeking at the in-flight queue would
    /// make it keep its segments and allocate new ones under load; and a long pipeline that keeps answering is alive.
    /// </summary>
    public bool IsStalled(long now, int timeoutMs) =>
        IsAwaitingReplies && now - Volatile.Read(ref _progressAt) > timeoutMs;

    /// <summary>True while requests written to the server wait for their replies.</summary>
    public bool IsAwaitingReplies => Volatile.Read(ref _awaitingReplies) > 0;

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();

        // Nothing is sent on a disposed connection: the send flag stays taken, and blocks still lent to a batch that
        // never left (the connection failed first) go back to the pool.
        if (Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
        {
            _lent?.Dispose();
        }
    }
}
