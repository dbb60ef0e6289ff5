using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RespProxy.Hosting;

namespace RespProxy.Transport;

/// <summary>
/// The proxy's own socket transport on Linux x86-64: a few epoll loops (one per CPU the process may use) serve the
/// RESP listener and the backend connections, so a request is read, forwarded, answered and written back on one
/// thread with one recv per read (no trailing EAGAIN read) and no hand-off. Kestrel still owns the listener and the
/// connection handler; this factory only binds the endpoint marked <see cref="RespListenEndPoint"/>, so the admin
/// HTTP listener stays on Kestrel's socket transport. Chosen by Proxy:Transport (measured in docs/BENCHMARKS.md).
/// </summary>
internal sealed class EpollTransport : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    private readonly Lazy<EpollLoop[]> _loops;
    private int _next;

    public EpollTransport(ILoggerFactory loggerFactory, IOptions<ProxyOptions> options)
    {
        bool batchSystemCalls = options.Value.BatchSystemCalls;
        var logger = loggerFactory.CreateLogger("RespProxy.Transport.Epoll");
        _loops = new Lazy<EpollLoop[]>(() =>
        {
            var loops = new EpollLoop[Math.Max(1, Environment.ProcessorCount)];
            for (int i = 0; i < loops.Length; i++)
            {
                loops[i] = new EpollLoop(i, logger, batchSystemCalls);
            }

            return loops;
        });
    }

    public bool CanBind(EndPoint endpoint) => endpoint is RespListenEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IConnectionListener>(new EpollConnectionListener(this, (IPEndPoint)endpoint));

    /// <summary>Serves an accepted socket; it is read once its session calls <see cref="IReceivePauseFeature.ResumeReceiving"/>.</summary>
    public EpollConnection Adopt(Socket socket) => EpollConnection.Start(socket, NextLoop(), receivePaused: true);

    /// <summary>Opens a connection served by this transport.</summary>
    public Task<EpollConnection> ConnectAsync(EndPoint endpoint, CancellationToken token) => EpollConnection.ConnectAsync(endpoint, NextLoop(), token);

    /// <summary>Stops the loops (the host is shutting down; Kestrel and the backends let go of their connections first).</summary>
    public void Dispose()
    {
        if (_loops.IsValueCreated)
        {
            foreach (var loop in _loops.Value)
            {
                loop.Stop();
            }
        }
    }

    private EpollLoop NextLoop()
    {
        var loops = _loops.Value;
        return loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)loops.Length)];
    }
}

/// <summary>The RESP listener's address, marked so that only <see cref="EpollTransport"/> binds it.</summary>
internal sealed class RespListenEndPoint(IPAddress address, int port) : IPEndPoint(address, port);
