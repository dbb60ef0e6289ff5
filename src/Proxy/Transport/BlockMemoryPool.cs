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

    // Every pooled block by its array, for TryRetain (a pipe's sequence hands out the memory, not its owner). Weak, as
    // the pool itself is: a block that never comes back (its pipe dropped unreturned) can still be collected.
    private readonly ConditionalWeakTable<byte[], Block> _byArray = new();

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
            _byArray.Add(block.Array, block);
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
        if (MemoryMarshal.TryGetArray(memory, out var segment) && _byArray.TryGetValue(segment.Array!, out var block))
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

    // Array-backed memory, not a MemoryManager: every Span access takes the runtime's fast path for arrays, and the
    // memory is created as pre-pinned, so pinning it (recv/send's `fixed`, the pipes' Pin) costs nothing.
    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly BlockMemoryPool? _owner;
        private int _references;

        public Block(BlockMemoryPool? owner, int size)
        {
            _owner = owner;
            Array = GC.AllocateUninitializedArray<byte>(size, pinned: true);
            Memory = MemoryMarshal.CreateFromPinnedArray(Array, 0, size);
        }

        public byte[] Array { get; }

        public Memory<byte> Memory { get; }

        public void Rented() => Volatile.Write(ref _references, 1);

        public void Retain() => Interlocked.Increment(ref _references);

        // Called once by the pipe that rented the block, and once per TryRetain.
        public void Dispose()
        {
            if (_owner is not null && Interlocked.Decrement(ref _references) == 0)
            {
                _owner._free.Enqueue(this);
            }
        }
    }
}
