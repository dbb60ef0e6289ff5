using System.Buffers;
using RespProxy.Transport;

namespace RespProxy.Backends;

/// <summary>
/// A backend connection's batch of requests in which large ones stay in their clients' input blocks, lent by the
/// pool (<see cref="BlockMemoryPool.TryRetain"/>), instead of being copied into the connection's output. Other requests
/// between them are copied into staging blocks of the same pool. The batch leaves by gathered sends straight from those
/// blocks (<see cref="IDirectSendFeature"/>): at the end of the loop's batch of events, as the pipe's bytes would, and,
/// when the socket is full, as it takes more. A block goes back to the pool once every part in it is sent.
/// Touched by the holder of the connection's send flag only.
/// </summary>
internal sealed class LentBatch : IDisposable
{
    // A 64 KB request spans 5 or 6 blocks of the client's input. With 128 parts, batches of 50 clients' SETs of 64 KB
    // at pipeline 1 ran out of room and were copied after all. While the socket is full, requests keep joining: 50
    // clients at pipeline 16 keep 800 such SETs in flight, which ran out of 1024 parts; 8192 hold about 1,400 (90 MB).
    // Beyond that the batch moves into the pipe: what is held is bounded either way by what clients have in flight.
    private const int MaxParts = 8192;

    private readonly ReadOnlyMemory<byte>[] _parts = new ReadOnlyMemory<byte>[MaxParts];

    // The block each part keeps from reuse (a client's input block, or a staging block).
    private readonly IMemoryOwner<byte>?[] _lenders = new IMemoryOwner<byte>?[MaxParts];
    private int _first;
    private int _count;

    // The staging block being filled (rented, so it is this batch's until it moves on to another) and the part that
    // ends at its fill mark, which the next staged frame extends.
    private IMemoryOwner<byte>? _staging;
    private int _staged;
    private int _openStagedPart = -1;

    public bool IsEmpty => _first == _count;

    /// <summary>What is still to be sent, in order.</summary>
    public ReadOnlySpan<ReadOnlyMemory<byte>> Parts => _parts.AsSpan(_first, _count - _first);

    /// <summary>Copies a frame into the batch's staging blocks; false, with nothing written, when the batch has no room.</summary>
    public bool TryWrite(ReadOnlySpan<byte> frame)
    {
        // What fits in the current staging block extends its open part, or starts one; the rest starts a part in each
        // new block it fills.
        int room = _staging is null ? 0 : BlockMemoryPool.BlockSize - _staged;
        int newParts = (room > 0 && _openStagedPart < 0 ? 1 : 0)
            + (Math.Max(0, frame.Length - room) + BlockMemoryPool.BlockSize - 1) / BlockMemoryPool.BlockSize;
        if (!HasRoom(newParts))
        {
            return false;
        }

        while (!frame.IsEmpty)
        {
            if (_staging is null || _staged == BlockMemoryPool.BlockSize)
            {
                NextStagingBlock();
            }

            int length = Math.Min(frame.Length, BlockMemoryPool.BlockSize - _staged);
            frame[..length].CopyTo(_staging!.Memory.Span[_staged..]);
            int start = _staged;
            _staged += length;
            frame = frame[length..];
            if (_openStagedPart >= 0)
            {
                // Follows the previous staged frame in the same block: one part for both.
                var open = _parts[_openStagedPart];
                _parts[_openStagedPart] = _staging.Memory[(start - open.Length).._staged];
            }
            else
            {
                BlockMemoryPool.Shared.TryRetain(_staging.Memory, out var lender);
                _openStagedPart = _count;
                _lenders[_count] = lender;
                _parts[_count++] = _staging.Memory[start.._staged];
            }
        }

        return true;
    }

    /// <summary>
    /// Adds a frame by reference, keeping its blocks from reuse until their parts are sent. False, with nothing added,
    /// when the batch has no room left or the frame is not in the pool's blocks.
    /// </summary>
    public bool TryLend(in ReadOnlySequence<byte> frame)
    {
        int segments = 0;
        foreach (var segment in frame)
        {
            segments += segment.IsEmpty ? 0 : 1;
        }

        if (!HasRoom(segments))
        {
            return false;
        }

        int first = _count;
        foreach (var segment in frame)
        {
            if (segment.IsEmpty)
            {
                continue;
            }

            if (!BlockMemoryPool.Shared.TryRetain(segment, out var lender))
            {
                Release(first, _count);
                _count = first;
                return false;
            }

            _lenders[_count] = lender;
            _parts[_count++] = segment;
        }

        _openStagedPart = -1;
        return true;
    }

    /// <summary>Drops the first <paramref name="sent"/> bytes (on the socket now), giving back the blocks they were in.</summary>
    public void Consume(long sent)
    {
        while (sent > 0)
        {
            int length = _parts[_first].Length;
            if (sent < length)
            {
                _parts[_first] = _parts[_first][(int)sent..];
                return;
            }

            sent -= length;
            Release(_first, _first + 1);
            if (_openStagedPart == _first)
            {
                // Sent: a frame staged next must not extend it.
                _openStagedPart = -1;
            }

            _parts[_first++] = default;
        }

        if (IsEmpty)
        {
            Clear();
        }
    }

    /// <summary>Writes what is still to be sent (into the pipe) and clears the batch.</summary>
    public void MoveTo<TWriter>(ref TWriter output)
        where TWriter : IFrameWriter, allows ref struct
    {
        foreach (var part in Parts)
        {
            output.Write(part.Span);
        }

        Clear();
    }

    /// <summary>Drops the batch (sent, moved, or failed with the connection) and gives the blocks back.</summary>
    public void Clear()
    {
        Release(_first, _count);
        Array.Clear(_parts, 0, _count);
        _first = 0;
        _count = 0;
        _openStagedPart = -1;

        // No part points into the staging block any more: it is filled again from the start.
        _staged = 0;
    }

    /// <summary>Clears the batch and gives back its staging block too (the connection is gone).</summary>
    public void Dispose()
    {
        Clear();
        _staging?.Dispose();
        _staging = null;
    }

    private void NextStagingBlock()
    {
        // The parts staged in the old block keep it (TryRetain) until they are sent; the batch lets go of its own hold.
        _staging?.Dispose();
        _staging = BlockMemoryPool.Shared.Rent();
        _staged = 0;
        _openStagedPart = -1;
    }

    // Room for `parts` more, after moving what is left to the front when sent parts made space there.
    private bool HasRoom(int parts)
    {
        if (_count + parts <= MaxParts)
        {
            return true;
        }

        if (_first == 0 || _count - _first + parts > MaxParts)
        {
            return false;
        }

        int left = _count - _first;
        Array.Copy(_parts, _first, _parts, 0, left);
        Array.Copy(_lenders, _first, _lenders, 0, left);
        Array.Clear(_parts, left, _count - left);
        Array.Clear(_lenders, left, _count - left);
        if (_openStagedPart >= 0)
        {
            _openStagedPart -= _first;
        }

        _first = 0;
        _count = left;
        return true;
    }

    private void Release(int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            _lenders[i]?.Dispose();
            _lenders[i] = null;
        }
    }
}
