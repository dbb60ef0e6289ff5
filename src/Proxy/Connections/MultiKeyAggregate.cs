using System.Buffers;
using RespProxy.Resp.Framing;
using RespProxy.Resp.Writing;

namespace RespProxy.Connections;

/// <summary>
/// A multi-key command split over several groups: one child request per group, and the client's own slot, which is
/// completed with the merged reply when the last child answers (on whichever backend thread that is).
/// </summary>
internal sealed class MultiKeyAggregate
{
    private readonly PendingReply _parent;
    private readonly PendingReply[] _children;
    private readonly MultiKeyCommand _command;
    private readonly int[] _childOfKey;
    private readonly int[] _positionInChild;
    private int _remaining;

    public MultiKeyAggregate(PendingReply parent, PendingReply[] children, MultiKeyCommand command, int[] childOfKey, int[] positionInChild)
    {
        _parent = parent;
        _children = children;
        _command = command;
        _childOfKey = childOfKey;
        _positionInChild = positionInChild;
        _remaining = children.Length;
    }

    public void OnChildDone()
    {
        if (Interlocked.Decrement(ref _remaining) != 0)
        {
            return;
        }

        Merge(_parent.Reply);
        _parent.MarkDone();
    }

    private void Merge(IBufferWriter<byte> output)
    {
        foreach (var child in _children)
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
                foreach (var child in _children)
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
        var elements = new (int Start, int Length)[_children.Length][];
        for (int c = 0; c < _children.Length; c++)
        {
            var reply = _children[c].Reply.WrittenMemory;
            if (reply.Length == 0 || reply.Span[0] != (byte)'*' || SplitArray(reply) is not { } split)
            {
                return false;
            }

            elements[c] = split;
        }

        for (int key = 0; key < _childOfKey.Length; key++)
        {
            if (_positionInChild[key] >= elements[_childOfKey[key]].Length)
            {
                return false;
            }
        }

        RespWriter.WriteArrayHeader(output, _childOfKey.Length);
        for (int key = 0; key < _childOfKey.Length; key++)
        {
            int child = _childOfKey[key];
            var (start, length) = elements[child][_positionInChild[key]];
            output.Write(_children[child].Reply.WrittenSpan.Slice(start, length));
        }

        return true;
    }

    private static (int Start, int Length)[]? SplitArray(ReadOnlyMemory<byte> reply)
    {
        var span = reply.Span;
        int headerEnd = span.IndexOf((byte)'\n') + 1;
        int count = (int)ParseInteger(span);
        var result = new (int, int)[Math.Max(count, 0)];
        var rest = new ReadOnlySequence<byte>(reply[headerEnd..]);
        int offset = headerEnd;
        for (int i = 0; i < result.Length; i++)
        {
            var scanner = default(RespFrameScanner);
            if (scanner.TryScan(rest, out long length) != ScanResult.Complete)
            {
                return null;
            }

            result[i] = (offset, (int)length);
            offset += (int)length;
            rest = rest.Slice(length);
        }

        return result;
    }

    // ":12\r\n" or "*3\r\n": the number after the type byte.
    private static long ParseInteger(ReadOnlySpan<byte> reply)
    {
        int end = reply.IndexOf((byte)'\r');
        return System.Buffers.Text.Utf8Parser.TryParse(reply[1..end], out long value, out _) ? value : 0;
    }

    /// <summary>Gives the children back to their session once merged.</summary>
    public IReadOnlyList<PendingReply> Children => _children;
}
