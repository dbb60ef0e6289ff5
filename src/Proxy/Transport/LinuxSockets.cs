using System.Runtime.InteropServices;

namespace RespProxy.Transport;

/// <summary>
/// The few Linux calls the epoll transport makes itself: epoll, an eventfd to wake a loop, and recv/send/sendmsg on
/// sockets that .NET's own socket engine never sees. x86-64 layout only (see <see cref="EpollEvent"/>).
/// </summary>
internal static unsafe partial class LinuxSockets
{
    private const string Libc = "libc.so.6";

    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int EBADF = 9;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;

    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;

    private const int EPOLL_CLOEXEC = 0x80000;
    private const int EFD_NONBLOCK = 0x800;
    private const int EFD_CLOEXEC = 0x80000;

    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;

    /// <summary>struct epoll_event: packed on x86-64 (4-byte events, then 8-byte data, 12 bytes in all).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    public struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    public struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>True where this layout is right and libc answers: Linux on x86-64.</summary>
    public static bool IsSupported { get; } = ProbeSupport();

    private static bool ProbeSupport()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || sizeof(EpollEvent) != 12)
        {
            return false;
        }

        try
        {
            int fd = epoll_create1(EPOLL_CLOEXEC);
            if (fd < 0)
            {
                return false;
            }

            close(fd);
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    public static int CreateEpoll() => epoll_create1(EPOLL_CLOEXEC);

    public static int CreateEventFd() => eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int epoll_wait(int epfd, EpollEvent* events, int maxevents, int timeout);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint recv(int fd, byte* buf, nuint len, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint send(int fd, byte* buf, nuint len, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint sendmsg(int fd, MessageHeader* msg, int flags);
}
