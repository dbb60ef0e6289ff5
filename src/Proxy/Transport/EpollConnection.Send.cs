using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;
using static RespProxy.Transport.LinuxSockets;

namespace RespProxy.Transport;

// The sending side: the output pipe's send loop, and the direct sends of IDirectSendFeature.
internal sealed partial class EpollConnection
{
    // Pipe blocks gathered into one sendmsg: 1 MB with 16 KB blocks. A backend connection's pipe holds every large
    // request of a batch at once (ten SETs of 64 KB are 640 KB); with 256 KB per call the proxy wrote Redis 0.28 times
    // per 64 KB SET and woke it as often, against 0.10 now (twemproxy: 0.11; docs/BENCHMARKS.md).
    private const int MaxSendVectors = 64;

    // Runs inline on whichever thread flushes the output pipe (a session, or a backend reader delivering replies).
    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                if (result.IsCanceled || Volatile.Read(ref _aborted) != 0)
                {
                    break;
                }

                var buffer = result.Buffer;
                while (true)
                {
                    // On a loop thread with a batch, the send goes with the turn's others in one call at its end.
                    long queued = EpollLoop.Current?.Batch is { } batch ? batch.QueueSend(_handle, Fd, buffer, _batchedSend ??= new()) : 0;
                    if (queued > 0)
                    {
                        long sent = await _batchedSend!.Completion;
                        if (sent < 0)
                        {
                            Abort(new ConnectionAbortedException("send failed"));
                            return;
                        }

                        Interlocked.Add(ref _bytesSent, sent);
                        buffer = buffer.Slice(sent);
                        if (buffer.IsEmpty)
                        {
                            break;
                        }

                        if (sent == queued && Volatile.Read(ref _aborted) == 0)
                        {
                            // The socket took all that was queued; the rest goes in the next turn's call.
                            continue;
                        }
                    }
                    else if (!SendWhileWritable(ref buffer))
                    {
                        return;
                    }

                    if (buffer.IsEmpty)
                    {
                        break;
                    }

                    await WaitWritableAsync();
                    if (Volatile.Read(ref _aborted) != 0)
                    {
                        return;
                    }
                }

                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            reader.Complete();
        }
    }

    public long BytesSent => Volatile.Read(ref _bytesSent);

    public bool SendsAreBatched => EpollLoop.Current?.Batch is not null;

    public long TrySend(in ReadOnlySequence<byte> data)
    {
        var rest = data;
        SendWhileWritable(ref rest);
        return data.Length - rest.Length;
    }

    public long TrySend(ReadOnlySpan<ReadOnlyMemory<byte>> parts)
    {
        long total = 0;
        int index = 0;
        int offset = 0;
        while (index < parts.Length && Volatile.Read(ref _aborted) == 0)
        {
            long sent = SendSome(parts[index..], offset);
            if (sent < 0)
            {
                Abort(new ConnectionAbortedException("send failed"));
                break;
            }

            if (sent == 0)
            {
                break;
            }

            Interlocked.Add(ref _bytesSent, sent);
            total += sent;
            for (long left = sent; left > 0;)
            {
                int rest = parts[index].Length - offset;
                if (left < rest)
                {
                    offset += (int)left;
                    break;
                }

                left -= rest;
                index++;
                offset = 0;
            }
        }

        return total;
    }

    // Sends from the front of `rest` (and slices it) until it is empty, the socket buffer is full or the connection is
    // aborted; counts what was sent. Returns false when a send failed: the connection is then aborted.
    private bool SendWhileWritable(ref ReadOnlySequence<byte> rest)
    {
        while (!rest.IsEmpty && Volatile.Read(ref _aborted) == 0)
        {
            long sent = SendSome(rest);
            if (sent < 0)
            {
                Abort(new ConnectionAbortedException("send failed"));
                return false;
            }

            if (sent == 0)
            {
                break;
            }

            Interlocked.Add(ref _bytesSent, sent);
            rest = rest.Slice(sent);
        }

        return true;
    }

    // Bytes sent (a prefix of the buffer), 0 when the socket buffer is full, -1 when the connection failed.
    private unsafe long SendSome(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            return SendSome(buffer.FirstSpan);
        }

        var vectors = stackalloc IoVector[MaxSendVectors];
        var gather = new SendVectors(vectors);
        try
        {
            foreach (var segment in buffer)
            {
                if (!gather.TryAdd(segment))
                {
                    break;
                }
            }

            return SendGathered(vectors, gather.Count);
        }
        finally
        {
            gather.Dispose();
        }
    }

    // The same for parts, from `offset` bytes into the first.
    private unsafe long SendSome(ReadOnlySpan<ReadOnlyMemory<byte>> parts, int offset)
    {
        var vectors = stackalloc IoVector[MaxSendVectors];
        var gather = new SendVectors(vectors);
        try
        {
            gather.TryAdd(parts[0][offset..]);
            for (int i = 1; i < parts.Length && gather.TryAdd(parts[i]); i++)
            {
            }

            return SendGathered(vectors, gather.Count);
        }
        finally
        {
            gather.Dispose();
        }
    }

    private unsafe long SendSome(ReadOnlySpan<byte> buffer)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            fixed (byte* bytes = buffer)
            {
                return SendResult(send(Fd, bytes, (nuint)buffer.Length, MSG_DONTWAIT | MSG_NOSIGNAL));
            }
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private static long SendResult(nint sent) => sent >= 0 ? sent : FailedSendResult(Marshal.GetLastPInvokeError());

    // 0 when the socket buffer was full (or the call was interrupted), -1 when the connection failed.
    private static long FailedSendResult(int errno) => errno is EAGAIN or EINTR ? 0 : -1;

    // One sendmsg of the gathered pieces. A large reply spans several blocks of the pipe; sent one call per block, each
    // block became its own TCP segment and woke the client again, and on a shared core the woken reader (or Redis)
    // preempted this thread between the calls.
    private unsafe long SendGathered(IoVector* vectors, int count)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            var message = new MessageHeader { Vectors = vectors, VectorCount = (nuint)count };
            return SendResult(sendmsg(Fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL));
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    // Up to MaxSendVectors pieces for one sendmsg, pinned until disposed. The transport's blocks are pinned for good, so
    // pinning them costs nothing; anything else is pinned for the duration of the call.
    private unsafe ref struct SendVectors(IoVector* vectors)
    {
        private SendPins _pins;

        public int Count { get; private set; }

        // False when there is no room for the piece (empty pieces are skipped).
        public bool TryAdd(ReadOnlyMemory<byte> piece)
        {
            if (piece.IsEmpty)
            {
                return true;
            }

            if (Count == MaxSendVectors)
            {
                return false;
            }

            _pins[Count] = piece.Pin();
            vectors[Count].Base = (byte*)_pins[Count].Pointer;
            vectors[Count].Length = (nuint)piece.Length;
            Count++;
            return true;
        }

        public void Dispose()
        {
            for (int i = 0; i < Count; i++)
            {
                _pins[i].Dispose();
            }
        }
    }

    [System.Runtime.CompilerServices.InlineArray(MaxSendVectors)]
    private struct SendPins
    {
        private MemoryHandle _first;
    }

    public Task WaitWritableAsync()
    {
        // Completed by the loop thread on EPOLLOUT, and the send loop goes on right there, inline: with asynchronous
        // continuations it went on on a thread-pool worker, which then also ran the flushes it released (a backend's
        // next batch of requests). Under SET of 64 KB values at pipeline 16, where Redis is often behind, thread-pool
        // workers used about 40% of the proxy's CPU, on the core it shares with Redis (docs/BENCHMARKS.md).
        var writable = new TaskCompletionSource();
        // A full fence between publishing the wait and reading _aborted, as Abort has between setting _aborted and
        // taking the wait: each side sees the other, so an abort never leaves the wait pending.
        Interlocked.Exchange(ref _writable, writable);
        if (Volatile.Read(ref _aborted) != 0)
        {
            writable.TrySetResult();
        }

        // Level-triggered: a socket that became writable in between is reported at once.
        SetInterest(EPOLLOUT, on: true);
        return writable.Task;
    }

    /// <summary>The outcome of the send loop's send queued in a loop's <see cref="SystemCallBatch"/>; one at a time.</summary>
    private sealed class BatchedSend : IBatchedSend, IValueTaskSource<long>
    {
        private ManualResetValueTaskSourceCore<long> _core;

        public ValueTask<long> Completion => new(this, _core.Version);

        // Bytes sent, or what SendSome gives for the errno.
        public void OnSent(long result) => _core.SetResult(result >= 0 ? result : FailedSendResult((int)-result));

        public long GetResult(short token)
        {
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                _core.Reset();
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
