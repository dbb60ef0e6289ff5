using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RespProxy.Transport;

/// <summary>
/// Fixed-size pinned blocks for the epoll transport's pipes. The shared array pool keeps only a few dozen arrays per
/// size and core, fewer than the segments in use when many clients pipeline at once, so under load it drops returned
/// arrays and allocates new ones; this pool keeps every block it ever handed out (bounded by the peak in use), and
/// pinned blocks make recv/send's <c>fixed</c> free.
/// </summary>
/// <remarks>
/// A block can be lent beyond its pipe (<see cref="TryRetain"/>): a large request is then sent to its backend from the
/// client's input instead of being copied first. The block goes back to the pool only when its pipe and every borrower
/// have let it go, so the pipe can move on while the bytes wait for the backend's socket.
/// </remarks>
internal sealed class BlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 16 * 1024;

    private readonly ConcurrentQueue<Block> _free = new();

    public static new BlockMemoryPool Shared { get; } = new();

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            // A larger block than the pipes ever ask for (their segment size is BlockSize): served, never kept.
            return new Block(null, minBufferSize);
        }

        if (!_free.TryDequeue(out var block))
        {
            block = new Block(this, BlockSize);
        }

        block.Rented();
        return block;
    }

    /// <summary>
    /// Takes a reference to the pooled block that <paramref name="memory"/> lies in, so it is not reused until
    /// <paramref name="retained"/> is disposed as well as returned by its pipe. False for memory of any other origin.
    /// The caller must hold the memory validly (its pipe not yet advanced past it) when it calls this.
    /// </summary>
    public bool TryRetain(ReadOnlyMemory<byte> memory, [NotNullWhen(true)] out IMemoryOwner<byte>? retained)
    {
        if (MemoryMarshal.TryGetMemoryManager(memory, out Block? block) && block.IsPooledBy(this))
        {
            block.Retain();
            retained = block;
            return true;
        }

        retained = null;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        // Shared for the process lifetime.
    }

    // A memory manager that keeps the block's address and length itself: a Span or Pin of its memory reads only this
    // small object, never the 16 KB array's header. Array-backed memory had every access read the array's header (its
    // type, or its length), and with megabytes of large values in flight those headers, 16 KB apart, missed the cache
    // and TLB: under SETs of 64 KB at pipeline 16, recv's buffer and send's Pin stalled on that read for about 4 us per
    // request (docs/BENCHMARKS.md). The blocks are few and sit close together, so their own fields stay cached.
    private sealed unsafe class Block : MemoryManager<byte>
    {
        private readonly BlockMemoryPool? _owner;

        // Pinned (allocated on the pinned object heap), so its address never changes; kept for its lifetime.
        private readonly byte[] _array;
        private readonly byte* _address;
        private readonly int _length;
        private int _references;

        public Block(BlockMemoryPool? owner, int size)
        {
            _owner = owner;
            _array = GC.AllocateUninitializedArray<byte>(size, pinned: true);
            _address = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
            _length = size;
        }

        public bool IsPooledBy(BlockMemoryPool pool) => ReferenceEquals(_owner, pool);

        public override Span<byte> GetSpan() => new(_address, _length);

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length, nameof(elementIndex));
            return new MemoryHandle(_address + elementIndex);
        }

        public override void Unpin()
        {
        }

        protected override bool TryGetArray(out ArraySegment<byte> segment)
        {
            segment = new ArraySegment<byte>(_array);
            return true;
        }

        public void Rented() => Volatile.Write(ref _references, 1);

        public void Retain() => Interlocked.Increment(ref _references);

        // Called once by the pipe that rented the block, and once per TryRetain.
        protected override void Dispose(bool disposing)
        {
            if (_owner is not null && Interlocked.Decrement(ref _references) == 0)
            {
                _owner._free.Enqueue(this);
            }
        }
    }
}
