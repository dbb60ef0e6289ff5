using System.Buffers;
using RespProxy.Resp.Writing;

namespace RespProxy.Connections;

/// <summary>
/// One request of one client on its way through the proxy: its bytes for the backend and, once answered, its reply.
/// A client's replies leave in the order of its requests, whichever backend answers first, because the session
/// writes them from its queue of these slots head first. Slots are recycled by their session.
/// </summary>
internal sealed class PendingReply
{
    private const int Waiting = 0;
    private const int Done = 1;

    private int _state;

    public ClientSession? Owner { get; set; }

    /// <summary>The request exactly as the backend gets it.</summary>
    public PooledBuffer Request { get; } = new();

    /// <summary>The reply exactly as the client gets it.</summary>
    public PooledBuffer Reply { get; } = new();

    /// <summary>Rewrites the backend's reply before the client sees it (INFO gets the proxy's section); null = as is.</summary>
    public IReplyTransform? Transform { get; set; }

    /// <summary>Close the client connection once this reply is written (QUIT, protocol errors).</summary>
    public bool CloseAfter { get; set; }

    /// <summary>When the request was handed to a backend connection (Environment.TickCount64).</summary>
    public long SentAt { get; set; }

    /// <summary>When the request started waiting in a <see cref="Routing.WriteHold"/>.</summary>
    public long HeldAt { get; set; }

    /// <summary>
    /// The group this request was routed in, when it must reach the group's master (writes, master reads) or may fall
    /// back to it (replica reads): a request refused by a fenced master or a failing replica is routed again there.
    /// </summary>
    public Routing.GroupRoute? Group { get; set; }

    /// <summary>True when only the group's confirmed master may execute this request.</summary>
    public bool NeedsMaster { get; set; }

    /// <summary>On a child request of a split multi-key command: the merge it reports to when answered.</summary>
    public MultiKeyAggregate? Parent { get; set; }

    /// <summary>On the client's slot of a split multi-key command: its children, recycled with it.</summary>
    public MultiKeyAggregate? Aggregate { get; set; }

    // The merge state this slot used for its last split, kept for the next one.
    private MultiKeyAggregate? _spareAggregate;

    /// <summary>Next slot in the owner's reply order; written by the producer, read by the drainer.</summary>
    public PendingReply? Next;

    /// <summary>Link in the owner's list of recycled slots.</summary>
    public PendingReply? NextFree;

    public bool IsDone => Volatile.Read(ref _state) == Done;

    /// <summary>Makes this (the client's) slot the parent of a split, with merge state it reuses from split to split.</summary>
    public MultiKeyAggregate UseAggregate() => Aggregate = _spareAggregate ??= new MultiKeyAggregate();

    /// <summary>Counts reuses, so a session can tell whether a slot it remembers is still the same request.</summary>
    public int Generation { get; private set; }

    public void Prepare(ClientSession owner)
    {
        Generation++;
        Owner = owner;
        Transform = null;
        CloseAfter = false;
        Group = null;
        NeedsMaster = false;
        Parent = null;
        Aggregate = null;
        Next = null;
        Request.Reset();
        Reply.Reset();
        Volatile.Write(ref _state, Waiting);
    }

    /// <summary>
    /// Once the reply is written: a large request or reply array goes back to its pool now, not when this slot is
    /// next used, so idle slots (and the slots of closed sessions) hold no large arrays.
    /// </summary>
    public void ReleaseLargeBuffers()
    {
        Request.ReleaseIfLarge();
        Reply.ReleaseIfLarge();
    }

    /// <summary>Publishes the reply written into <see cref="Reply"/>; after this the slot belongs to the drainer.</summary>
    public void MarkDone()
    {
        var parent = Parent;
        Volatile.Write(ref _state, Done);
        parent?.OnChildDone();
    }

    /// <summary>Stores a backend's reply frame and publishes it.</summary>
    public void Complete(in ReadOnlySequence<byte> frame)
    {
        if (Transform is null)
        {
            Reply.Write(frame);
        }
        else
        {
            Transform.Apply(frame, Reply);
        }

        MarkDone();
    }

    /// <summary>Stores a whole reply frame and publishes it.</summary>
    public void Complete(ReadOnlySpan<byte> frame)
    {
        if (Transform is null)
        {
            Reply.Write(frame);
        }
        else
        {
            ApplyTransform(frame);
        }

        MarkDone();
    }

    // Out of line: the sequence it builds would otherwise be a local that every reply's call zeroes first.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ApplyTransform(ReadOnlySpan<byte> frame)
    {
        // INFO only: its transform reads a sequence.
        Transform!.Apply(new ReadOnlySequence<byte>(frame.ToArray()), Reply);
    }

    /// <summary>Answers with an error line; <paramref name="error"/> has no '-' and no CRLF.</summary>
    public void CompleteWithError(ReadOnlySpan<byte> error)
    {
        Reply.Reset();
        RespWriter.WriteError(Reply, error);
        MarkDone();
    }
}
