using System.Buffers;
using System.Runtime.InteropServices;
using static RespProxy.Transport.IoUring;
using static RespProxy.Transport.LinuxSockets;

namespace RespProxy.Transport;

/// <summary>
/// One epoll loop's socket receives and sends of one turn, made in a single io_uring_enter instead of one system call
/// each. On this machine a system call costs about 1 µs before it does anything (page-table isolation in a VM), as much
/// as the TCP work of a small send; at pipeline 1 a proxy makes one receive and one send per request, and a loop turn
/// handles several clients, so one call for all of them saves most of that (docs/BENCHMARKS.md).
/// </summary>
/// <remarks>
/// Every operation carries MSG_DONTWAIT, so the kernel completes it during the submit (the data was there, or
/// EAGAIN), exactly as the non-blocking call it replaces: there is no operation in flight after <see cref="Submit"/>
/// returns, buffers need to stay valid only during it, and nothing changes in how connections wait for readiness
/// (epoll, level-triggered, as before). Loop thread only. Sockets are referenced from queueing to completion, so a
/// socket closed meanwhile cannot hand its descriptor number to another. A batch of one operation is made as its plain
/// call, which costs less than io_uring_enter for one.
/// </remarks>
internal sealed unsafe class SystemCallBatch : IDisposable
{
    public const int Capacity = 256;

    /// <summary>Pieces gathered into one batched send: 256 KB of the transport's 16 KB blocks. The rest of a larger
    /// send is queued again when this part completes, and leaves in the turn's next submit.</summary>
    public const int MaxSendVectors = 16;

    private readonly int _ring;
    private readonly byte* _submissionRing;
    private readonly nuint _submissionRingLength;
    private readonly byte* _completionRing;
    private readonly nuint _completionRingLength;
    private readonly SubmissionEntry* _submissions;
    private readonly nuint _submissionsLength;
    private readonly uint* _submissionTail;
    private readonly uint _submissionMask;
    private readonly uint* _completionHead;
    private readonly uint* _completionTail;
    private readonly uint _completionMask;
    private readonly CompletionEntry* _completions;

    private readonly Entry[] _entries = new Entry[Capacity];
    private readonly MemoryHandle[] _pins = new MemoryHandle[Capacity * MaxSendVectors];
    private readonly MessageHeader* _messages;
    private readonly IoVector* _vectors;
    private readonly (IBatchedSend Sender, long Result)[] _finished = new (IBatchedSend, long)[Capacity];
    private int _count;
    private bool _disposed;

    private struct Entry
    {
        public SafeHandle Handle;
        public IBatchedSend? Sender;
        public int Fd;
        public int Length;
        public byte Opcode;
        public int PinCount;
        public int Result;
    }

    private SystemCallBatch(int ring, in Parameters parameters)
    {
        _ring = ring;
        ref readonly var sq = ref parameters.SubmissionOffsets;
        ref readonly var cq = ref parameters.CompletionOffsets;
        _submissionRingLength = sq.Array + parameters.SubmissionEntries * sizeof(uint);
        _completionRingLength = cq.Entries + parameters.CompletionEntries * (uint)sizeof(CompletionEntry);
        _submissionsLength = parameters.SubmissionEntries * (uint)sizeof(SubmissionEntry);
        _submissionRing = Map(ring, _submissionRingLength, OffsetSubmissionRing);
        _completionRing = Map(ring, _completionRingLength, OffsetCompletionRing);
        _submissions = (SubmissionEntry*)Map(ring, _submissionsLength, OffsetSubmissionEntries);
        if (_submissionRing is null || _completionRing is null || _submissions is null)
        {
            int errno = Marshal.GetLastPInvokeError();
            Dispose();
            throw new InvalidOperationException("mapping the io_uring rings failed: " + Marshal.GetPInvokeErrorMessage(errno));
        }

        _submissionTail = (uint*)(_submissionRing + sq.Tail);
        _submissionMask = *(uint*)(_submissionRing + sq.RingMask);
        _completionHead = (uint*)(_completionRing + cq.Head);
        _completionTail = (uint*)(_completionRing + cq.Tail);
        _completionMask = *(uint*)(_completionRing + cq.RingMask);
        _completions = (CompletionEntry*)(_completionRing + cq.Entries);

        // Slot i of the ring always names entry i: set once.
        var array = (uint*)(_submissionRing + sq.Array);
        for (uint i = 0; i < parameters.SubmissionEntries; i++)
        {
            array[i] = i;
        }

        _messages = (MessageHeader*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MessageHeader)));
        _vectors = (IoVector*)NativeMemory.AllocZeroed((nuint)(Capacity * MaxSendVectors * sizeof(IoVector)));
    }

    /// <summary>A batch, or null (with the reason) where the kernel refuses io_uring: too old, disabled by
    /// kernel.io_uring_disabled, or filtered by a seccomp profile (Docker's default profile blocks it).</summary>
    public static SystemCallBatch? TryCreate(out string? refusal)
    {
        refusal = null;
        if (!LinuxSockets.IsSupported)
        {
            refusal = "not Linux x86-64";
            return null;
        }

        var parameters = new Parameters { Flags = SetupSubmitAll };
        int ring = Setup(Capacity, &parameters);
        if (ring < 0)
        {
            refusal = "io_uring_setup: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            return null;
        }

        try
        {
            return new SystemCallBatch(ring, parameters);
        }
        catch (InvalidOperationException ex)
        {
            refusal = ex.Message;
            return null;
        }
    }

    /// <summary>True where <see cref="TryCreate"/> succeeds (probed once).</summary>
    public static bool IsAvailable => s_available.Value;

    private static readonly Lazy<bool> s_available = new(static () =>
    {
        using var batch = TryCreate(out _);
        return batch is not null;
    });

    /// <summary>Operations queued and not yet submitted.</summary>
    public int Count => _count;

    /// <summary>
    /// Queues a receive into <paramref name="memory"/>; returns its index for <see cref="Result"/>, or -1 when the batch
    /// is full or the socket is closed (the caller then receives the ordinary way).
    /// </summary>
    public int QueueReceive(SafeHandle handle, int fd, Memory<byte> memory)
    {
        if (_count == Capacity || !TryReference(handle))
        {
            return -1;
        }

        int index = _count++;
        _pins[index * MaxSendVectors] = memory.Pin();
        ref var entry = ref _entries[index];
        entry = new Entry { Handle = handle, Fd = fd, Length = memory.Length, Opcode = OpReceive, PinCount = 1 };
        ref var submission = ref Prepare(index, OpReceive, fd);
        submission.Address = (ulong)_pins[index * MaxSendVectors].Pointer;
        submission.Length = (uint)memory.Length;
        submission.MessageFlags = MSG_DONTWAIT;
        return index;
    }

    /// <summary>
    /// Queues a send of the front of <paramref name="data"/> (up to <see cref="MaxSendVectors"/> segments);
    /// <paramref name="sender"/> hears the outcome when the batch is submitted. Returns the bytes queued, or 0 when the
    /// batch is full or the socket is closed (the caller then sends the ordinary way).
    /// </summary>
    public long QueueSend(SafeHandle handle, int fd, in ReadOnlySequence<byte> data, IBatchedSend sender)
    {
        if (_count == Capacity || data.IsEmpty || !TryReference(handle))
        {
            return 0;
        }

        int index = _count++;
        int pinBase = index * MaxSendVectors;
        int pieces = 0;
        long queued = 0;
        var vectors = _vectors + pinBase;
        foreach (var segment in data)
        {
            if (segment.IsEmpty)
            {
                continue;
            }

            if (pieces == MaxSendVectors)
            {
                break;
            }

            _pins[pinBase + pieces] = segment.Pin();
            vectors[pieces].Base = (byte*)_pins[pinBase + pieces].Pointer;
            vectors[pieces].Length = (nuint)segment.Length;
            queued += segment.Length;
            pieces++;
        }

        byte opcode = pieces == 1 ? OpSend : OpSendMessage;
        _entries[index] = new Entry { Handle = handle, Sender = sender, Fd = fd, Opcode = opcode, PinCount = pieces };
        ref var submission = ref Prepare(index, opcode, fd);
        submission.MessageFlags = MSG_DONTWAIT | MSG_NOSIGNAL;
        if (pieces == 1)
        {
            submission.Address = (ulong)vectors[0].Base;
            submission.Length = (uint)vectors[0].Length;
        }
        else
        {
            var message = _messages + index;
            *message = new MessageHeader { Vectors = vectors, VectorCount = (nuint)pieces };
            submission.Address = (ulong)message;
        }

        return queued;
    }

    /// <summary>The outcome of queued receive <paramref name="index"/> after <see cref="Submit"/>: bytes received, or
    /// a negative errno. Valid until the next operation is queued.</summary>
    public int Result(int index) => _entries[index].Result;

    /// <summary>
    /// Makes every queued operation in one io_uring_enter (more only if the kernel stops early), then tells each send's
    /// sender how it went, inline: a sender may queue its next send, which goes in the next submit.
    /// </summary>
    public void Submit()
    {
        int count = _count;
        if (count == 0)
        {
            return;
        }

        if (count == 1)
        {
            // One operation alone costs less as its own plain call: io_uring_enter for a single send or receive took
            // about 0.4 µs more than the call itself (loadtests/SyscallBatchFloor with 1 connection per turn), and at
            // pipeline 1 many turns have a single readable client.
            MakeDirectly(0, 1);
        }
        else
        {
            uint start = *_submissionTail;
            Volatile.Write(ref *_submissionTail, start + (uint)count);
            int submitted = SubmitToKernel(count);
            if (submitted < count)
            {
                // Not expected once the ring is set up; the rest are made as plain calls rather than lost.
                MakeDirectly(submitted, count);
                Volatile.Write(ref *_submissionTail, start + (uint)submitted);
            }

            ReapCompletions(submitted);
        }

        int finished = Release(count);
        _count = 0;
        for (int i = 0; i < finished; i++)
        {
            var (sender, result) = _finished[i];
            _finished[i] = default;
            sender.OnSent(result);
        }
    }

    private ref SubmissionEntry Prepare(int index, byte opcode, int fd)
    {
        ref var submission = ref _submissions[(*_submissionTail + (uint)index) & _submissionMask];
        submission = default;
        submission.Opcode = opcode;
        submission.Fd = fd;
        submission.UserData = (ulong)index;
        return ref submission;
    }

    private static bool TryReference(SafeHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
        }

        return added;
    }

    // How many of the queued operations the kernel took.
    private int SubmitToKernel(int count)
    {
        int submitted = 0;
        while (submitted < count)
        {
            int taken = Enter(_ring, (uint)(count - submitted), 0, 0);
            if (taken > 0)
            {
                submitted += taken;
                continue;
            }

            int errno = taken < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (errno != EINTR)
            {
                break;
            }
        }

        return submitted;
    }

    private void ReapCompletions(int expected)
    {
        int reaped = 0;
        while (true)
        {
            uint head = *_completionHead;
            uint tail = Volatile.Read(ref *_completionTail);
            for (; head != tail; head++)
            {
                ref var completion = ref _completions[head & _completionMask];
                _entries[(int)completion.UserData].Result = completion.Result;
                reaped++;
            }

            Volatile.Write(ref *_completionHead, head);
            if (reaped >= expected)
            {
                return;
            }

            // Every operation is non-blocking and completes inline, so this wait is not expected to wait at all.
            if (Enter(_ring, 0, (uint)(expected - reaped), EnterGetEvents) < 0 && Marshal.GetLastPInvokeError() is not (EINTR or EAGAIN))
            {
                // The kernel may still write into the operations' buffers: nothing safe is left to do.
                Environment.FailFast("io_uring_enter failed waiting for completions: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            }
        }
    }

    private void MakeDirectly(int from, int to)
    {
        for (int index = from; index < to; index++)
        {
            ref var entry = ref _entries[index];
            var vectors = _vectors + (index * MaxSendVectors);
            nint result = entry.Opcode switch
            {
                OpReceive => recv(entry.Fd, (byte*)_pins[index * MaxSendVectors].Pointer, (nuint)entry.Length, MSG_DONTWAIT),
                OpSend => send(entry.Fd, vectors[0].Base, vectors[0].Length, MSG_DONTWAIT | MSG_NOSIGNAL),
                _ => sendmsg(entry.Fd, _messages + index, MSG_DONTWAIT | MSG_NOSIGNAL),
            };
            entry.Result = result >= 0 ? (int)result : -Marshal.GetLastPInvokeError();
        }
    }

    // Unpins, lets go of the sockets, and lists the sends' outcomes.
    private int Release(int count)
    {
        int finished = 0;
        for (int index = 0; index < count; index++)
        {
            ref var entry = ref _entries[index];
            int pinBase = index * MaxSendVectors;
            for (int i = 0; i < entry.PinCount; i++)
            {
                _pins[pinBase + i].Dispose();
                _pins[pinBase + i] = default;
            }

            entry.Handle.DangerousRelease();
            if (entry.Sender is { } sender)
            {
                _finished[finished++] = (sender, entry.Result);
            }

            int result = entry.Result;
            entry = default;
            entry.Result = result;
        }

        return finished;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_submissionRing is not null)
        {
            _ = Unmap(_submissionRing, _submissionRingLength);
        }

        if (_completionRing is not null)
        {
            _ = Unmap(_completionRing, _completionRingLength);
        }

        if (_submissions is not null)
        {
            _ = Unmap((byte*)_submissions, _submissionsLength);
        }

        NativeMemory.Free(_messages);
        NativeMemory.Free(_vectors);
        close(_ring);
    }
}
