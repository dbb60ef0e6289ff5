using System.Runtime.InteropServices;

namespace RespProxy.Transport;

/// <summary>
/// The io_uring calls and layouts <see cref="SystemCallBatch"/> needs (x86-64, from linux/io_uring.h): set-up, the
/// shared rings, and io_uring_enter. glibc has no wrappers for these, so they go through syscall(2), whose x86-64
/// implementation only moves registers (no va_arg), which makes a fixed-arity import of it safe.
/// </summary>
internal static unsafe partial class IoUring
{
    private const long SysIoUringSetup = 425;
    private const long SysIoUringEnter = 426;

    public const uint SetupSubmitAll = 1u << 7;
    public const uint EnterGetEvents = 1u << 0;

    public const byte OpSendMessage = 9;
    public const byte OpSend = 26;
    public const byte OpReceive = 27;

    public const long OffsetSubmissionRing = 0;
    public const long OffsetCompletionRing = 0x8000000;
    public const long OffsetSubmissionEntries = 0x10000000;

    [StructLayout(LayoutKind.Sequential)]
    public struct SubmissionRingOffsets
    {
        public uint Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Reserved1;
        public ulong UserAddress;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CompletionRingOffsets
    {
        public uint Head, Tail, RingMask, RingEntries, Overflow, Entries, Flags, Reserved1;
        public ulong UserAddress;
    }

    /// <summary>struct io_uring_params (120 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Parameters
    {
        public uint SubmissionEntries, CompletionEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd;
        public uint Reserved0, Reserved1, Reserved2;
        public SubmissionRingOffsets SubmissionOffsets;
        public CompletionRingOffsets CompletionOffsets;
    }

    /// <summary>struct io_uring_sqe (64 bytes), with the fields a send or receive uses.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public struct SubmissionEntry
    {
        [FieldOffset(0)] public byte Opcode;
        [FieldOffset(4)] public int Fd;
        [FieldOffset(16)] public ulong Address;
        [FieldOffset(24)] public uint Length;
        [FieldOffset(28)] public uint MessageFlags;
        [FieldOffset(32)] public ulong UserData;
    }

    /// <summary>struct io_uring_cqe (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CompletionEntry
    {
        public ulong UserData;
        public int Result;
        public uint Flags;
    }

    public static int Setup(uint entries, Parameters* parameters) =>
        (int)syscall(SysIoUringSetup, entries, (long)parameters, 0, 0, 0, 0);

    public static int Enter(int fd, uint toSubmit, uint minComplete, uint flags) =>
        (int)syscall(SysIoUringEnter, fd, toSubmit, minComplete, flags, 0, 0);

    public static byte* Map(int fd, nuint length, long offset)
    {
        const int ProtReadWrite = 0x1 | 0x2, MapSharedPopulate = 0x01 | 0x8000;
        var address = mmap(null, length, ProtReadWrite, MapSharedPopulate, fd, offset);
        return address == (void*)-1 ? null : (byte*)address;
    }

    /// <summary>False when munmap refused (nothing to do about it at teardown but not count on it).</summary>
    public static bool Unmap(byte* address, nuint length) => munmap(address, length) == 0;

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc.so.6")]
    private static partial int munmap(void* address, nuint length);
}
