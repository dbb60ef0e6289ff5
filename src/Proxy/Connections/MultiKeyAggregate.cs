using System.Buffers;
using RespProxy.Resp.Framing;
using RespProxy.Resp.Writing;

namespace RespProxy.Connections;

/// <summary>
/// A multi-key command split over several groups: one child request per group, and the client's own slot, which is
/// completed with the merged reply when the last child answers (on whichever backend thread that is).
/// </summary>
/// <remarks>
/// Each slot keeps the one it used last and reuses it for its next split: the arrays only ever grow, so a steady
/// stream of split MGETs and MSETs allocates nothing. The session plans a split (<see cref="Start"/>,
/// <see cref="AddKey"/>), attaches one child slot per group (<see cref="SetChild"/>), then sends them.
/// </remarks>
internal sealed class MultiKeyAggregate
{
    private PendingReply _parent = null!;
    private MultiKeyCommand _command;
    private int _keyCount;
    private int _childCount;
    private int _remaining;
    private PendingReply[] _children = [];
    private int[] _groupOfChild = [];
    private int[] _keysInChild = [];
    private int[] _firstElementOfChild = [];
    private int[] _childOfGroup = [];
    private int[] _childOfKey = [];
    private int[] _positionInChild = [];
    private (int Start, int Length)[] _elements = [];

    public int ChildCount => _childCount;

    /// <summary>The children, given back to their session with the parent once merged.</summary>
    public ReadOnlySpan<PendingReply> Children => _children.AsSpan(0, _childCount);

    public void Start(PendingReply parent, MultiKeyCommand command, int keyCount, int groupCount)
    {
        _parent = parent;
        _command = command;
        _keyCount = keyCount;
        _childCount = 0;
        Grow(ref _childOfKey, keyCount);
        Grow(ref _positionInChild, keyCount);
        Grow(ref _childOfGroup, groupCount);
        _childOfGroup.AsSpan(0, groupCount).Fill(-1);
    }

    /// <summary>Puts the next key (in the client's order) in the child request of its group.</summary>
    public int AddKey(int key, int group)
    {
        int child = _childOfGroup[group];
        if (child < 0)
        {
            child = _childCount++;
            _childOfGroup[group] = child;
            Grow(ref _groupOfChild, _childCount);
            Grow(ref _keysInChild, _childCount);
            _groupOfChild[child] = group;
            _keysInChild[child] = 0;
        }

        _childOfKey[key] = child;
        _positionInChild[key] = _keysInChild[child]++;
        return child;
    }

    public int GroupOfChild(int child) => _groupOfChild[child];

    public int KeysInChild(int child) => _keysInChild[child];

    public int ChildOfKey(int key) => _childOfKey[key];

    public PendingReply Child(int child) => _children[child];

    public void SetChild(int child, PendingReply slot)
    {
        Grow(ref _children, _childCount);
        _children[child] = slot;
        slot.Parent = this;
    }

    /// <summary>Every child is attached: from here on their replies count down to the merge.</summary>
    public void Seal() => Volatile.Write(ref _remaining, _childCount);

    public void OnChildDone()
    {
        if (Interlocked.Decrement(ref _remaining) != 0)
        {
            return;
        }

        Merge(_parent.Reply);
        _parent.MarkDone();
    }

    private static void Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            Array.Resize(ref array, Math.Max(length, array.Length * 2));
        }
    }

    private void Merge(IBufferWriter<byte> output)
    {
        foreach (var child in Children)
        {
            var reply = child.Reply.WrittenSpan;
            if (reply.Length > 0 && reply[0] == (byte)'-')
            {
                // Redis answers a failed command with one error; the first child's error stands for the whole.
                output.Write(reply);
                return;
            }
        }

        switch (_command)
        {
            case MultiKeyCommand.Mset:
                RespWriter.WriteSimpleString(output, "OK"u8);
                break;
            case MultiKeyCommand.SumIntegers:
                long sum = 0;
                foreach (var child in Children)
                {
                    sum += ParseInteger(child.Reply.WrittenSpan);
                }

                RespWriter.WriteInteger(output, sum);
                break;
            default:
                if (!TryMergeArrays(output))
                {
                    RespWriter.WriteError(output, "ERR RespProxy: a backend answered a split MGET with something other than an array of its keys"u8);
                }

                break;
        }
    }

    private bool TryMergeArrays(IBufferWriter<byte> output)
    {
        Grow(ref _elements, _keyCount);
        Grow(ref _firstElementOfChild, _childCount);
        int first = 0;
        for (int c = 0; c < _childCount; c++)
        {
            if (!TrySplitArray(_children[c].Reply.WrittenMemory, _keysInChild[c], _elements.AsSpan(first)))
            {
                return false;
            }

            _firstElementOfChild[c] = first;
            first += _keysInChild[c];
        }

        RespWriter.WriteArrayHeader(output, _keyCount);
        for (int key = 0; key < _keyCount; key++)
        {
            int child = _childOfKey[key];
            var (start, length) = _elements[_firstElementOfChild[child] + _positionInChild[key]];
            output.Write(_children[child].Reply.WrittenSpan.Slice(start, length));
        }

        return true;
    }

    // An array reply of exactly `count` elements: where each element's frame starts and how long it is.
    private static bool TrySplitArray(ReadOnlyMemory<byte> reply, int count, Span<(int Start, int Length)> elements)
    {
        var span = reply.Span;
        if (span.Length == 0 || span[0] != (byte)'*' || ParseInteger(span) != count)
        {
            return false;
        }

        int offset = span.IndexOf((byte)'\n') + 1;
        var rest = new ReadOnlySequence<byte>(reply[offset..]);
        for (int i = 0; i < count; i++)
        {
            var scanner = default(RespFrameScanner);
            if (scanner.TryScan(rest, out long length) != ScanResult.Complete)
            {
                return false;
            }

            elements[i] = (offset, (int)length);
            offset += (int)length;
            rest = rest.Slice(length);
        }

        return true;
    }

    // ":12\r\n" or "*3\r\n": the number after the type byte.
    private static long ParseInteger(ReadOnlySpan<byte> reply)
    {
        int end = reply.IndexOf((byte)'\r');
        return end > 1 && System.Buffers.Text.Utf8Parser.TryParse(reply[1..end], out long value, out _) ? value : 0;
    }
}
