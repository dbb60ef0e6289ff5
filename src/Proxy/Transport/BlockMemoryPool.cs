using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace RespProxy.Transport;

/// <summary>
/// Fixed-size pinned blocks for the epoll transport's pipes. The shared array pool keeps only a few dozen arrays per
/// size and core, fewer than the segments in use when many clients pipeline at once, so under load it drops returned
/// arrays and allocates new ones; this pool keeps every block it ever handed out (bounded by the peak in use), and
/// pinned blocks make recv/send's <c>fixed</c> free.
/// </summary>
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

        return _free.TryDequeue(out var block) ? block : new Block(this, BlockSize);
    }

    protected override void Dispose(bool disposing)
    {
        // Shared for the process lifetime.
    }

    // Array-backed memory, not a MemoryManager: every Span access takes the runtime's fast path for arrays, and the
    // memory is created as pre-pinned, so pinning it (recv/send's `fixed`, the pipes' Pin) costs nothing.
    private sealed class Block(BlockMemoryPool? owner, int size) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(size, pinned: true), 0, size);

        public void Dispose() => owner?._free.Enqueue(this);
    }
}
