using System.Buffers;

namespace RespProxy.Connections;

/// <summary>
/// A growable byte buffer on pooled memory that is kept across reuse, so steady-state requests and replies of a
/// connection write into the same array. Arrays over 64 KB come from <see cref="LargeArrayPool"/> and go back to it on
/// <see cref="Reset"/>, so one 10 MB value does not stay pinned to an idle connection.
/// </summary>
internal sealed class PooledBuffer : IBufferWriter<byte>
{
    private const int InitialSize = 256;
    private const int KeepAtMost = 64 * 1024;

    private byte[] _array = [];
    private int _written;

    // Whether _array came from LargeArrayPool, kept here so resets and releases need not touch the array: by the time a
    // slot is recycled its arrays have usually left the cache.
    private bool _large;

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _written);

    public int WrittenCount => _written;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_written);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_array.AsSpan(_written));
        _written += bytes.Length;
    }

    public void Write(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            Write(bytes.FirstSpan);
            return;
        }

        Ensure(checked((int)bytes.Length));
        bytes.CopyTo(_array.AsSpan(_written));
        _written += (int)bytes.Length;
    }

    public void Reset()
    {
        _written = 0;
        ReleaseIfLarge();
    }

    /// <summary>Hands a large array back to its pool now, dropping the contents, rather than at the next reset.</summary>
    public void ReleaseIfLarge()
    {
        if (_large)
        {
            ReturnArray(_array);
            _array = [];
            _large = false;
            _written = 0;
        }
    }

    private void Ensure(int sizeHint)
    {
        int needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _array.Length)
        {
            return;
        }

        var next = RentArray(Math.Max(needed, Math.Max(InitialSize, _array.Length * 2)));
        _array.AsSpan(0, _written).CopyTo(next);
        if (_array.Length > 0)
        {
            ReturnArray(_array);
        }

        _array = next;
        _large = next.Length > KeepAtMost;
    }

    // Arrays a slot may keep come from the shared pool; larger ones from (and back to) LargeArrayPool.
    private static byte[] RentArray(int size) =>
        size > KeepAtMost ? LargeArrayPool.Shared.Rent(size) : ArrayPool<byte>.Shared.Rent(size);

    private static void ReturnArray(byte[] array)
    {
        if (array.Length > KeepAtMost)
        {
            LargeArrayPool.Shared.Return(array);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
