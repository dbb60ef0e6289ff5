using System.Collections.Concurrent;
using System.Numerics;

namespace RespProxy.Connections;

/// <summary>
/// Arrays for requests and replies too large for a slot to keep between requests (values of 64 KB and more), in
/// power-of-two sizes, kept up to a fixed total. The shared array pool keeps only a few arrays of a size per core, far
/// fewer than the large requests one batch of clients has in flight, so with large values it dropped returned arrays
/// and allocated new ones on the large object heap for a share of the requests, bringing full collections with them.
/// Lock-free: one queue per size and an interlocked count of the bytes kept.
/// </summary>
internal sealed class LargeArrayPool
{
    /// <summary>The smallest size served; smaller arrays come from the shared pool.</summary>
    public const int MinimumLength = 128 * 1024;

    private const int MinimumShift = 17;

    // Up to 512 MB, Redis's largest bulk string by default; larger arrays are allocated and dropped.
    private const int MaximumShift = 29;

    private readonly ConcurrentQueue<byte[]>[] _sizes = new ConcurrentQueue<byte[]>[MaximumShift - MinimumShift + 1];
    private readonly long _maxKeptBytes;
    private long _keptBytes;

    public LargeArrayPool(long maxKeptBytes)
    {
        _maxKeptBytes = maxKeptBytes;
        for (int i = 0; i < _sizes.Length; i++)
        {
            _sizes[i] = new ConcurrentQueue<byte[]>();
        }
    }

    /// <summary>64 MB at most kept idle: the large values of a few hundred requests in flight.</summary>
    public static LargeArrayPool Shared { get; } = new(64L * 1024 * 1024);

    /// <summary>Bytes held in the pool now (arrays returned and not rented again).</summary>
    public long KeptBytes => Volatile.Read(ref _keptBytes);

    /// <summary>An array of at least <paramref name="minimumLength"/> bytes (a power of two up to 512 MB); contents undefined.</summary>
    public byte[] Rent(int minimumLength)
    {
        int shift = Math.Max(MinimumShift, BitOperations.Log2((uint)minimumLength - 1) + 1);
        if (shift > MaximumShift)
        {
            return GC.AllocateUninitializedArray<byte>(minimumLength);
        }

        if (_sizes[shift - MinimumShift].TryDequeue(out var array))
        {
            Interlocked.Add(ref _keptBytes, -array.Length);
            return array;
        }

        return GC.AllocateUninitializedArray<byte>(1 << shift);
    }

    /// <summary>Keeps an array rented here for the next caller, unless the pool holds its maximum already.</summary>
    public void Return(byte[] array)
    {
        int length = array.Length;
        if (length < MinimumLength || !BitOperations.IsPow2(length) || length > 1 << MaximumShift)
        {
            return;
        }

        if (Interlocked.Add(ref _keptBytes, length) > _maxKeptBytes)
        {
            Interlocked.Add(ref _keptBytes, -length);
            return;
        }

        _sizes[BitOperations.Log2((uint)length) - MinimumShift].Enqueue(array);
    }
}
