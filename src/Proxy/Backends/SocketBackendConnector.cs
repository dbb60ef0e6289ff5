using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RespProxy.Topology.Model;
using RespProxy.Transport;

namespace RespProxy.Backends;

/// <summary>
/// TCP connections to backends, then the <see cref="BackendHandshake"/>: on the proxy's epoll transport when it
/// serves this process (the loop that reads a backend's replies also writes them to clients), otherwise with
/// Kestrel's socket pipes.
/// </summary>
internal sealed class SocketBackendConnector : IBackendConnector, IDisposable
{
    private readonly BackendOptions _options;
    private readonly EpollTransport? _epoll;
    private readonly SocketConnectionContextFactory _factory;

    public SocketBackendConnector(IOptions<BackendOptions> options, ILoggerFactory loggerFactory, EpollTransport? epoll = null)
    {
        _options = options.Value;
        _epoll = epoll;

        // Replies larger than the default 1 MB pause threshold must still be read whole: the reader only consumes a
        // reply once it is complete, so a bounded pipe would wait forever for a 10 MB value. Completions run inline:
        // the reader never blocks (see SocketTuning).
        var socketOptions = new SocketConnectionFactoryOptions
        {
            MaxReadBufferSize = null,
            UnsafePreferInlineScheduling = true,
            WaitForDataBeforeAllocatingBuffer = false,
        };
        _factory = new SocketConnectionContextFactory(socketOptions, loggerFactory.CreateLogger("RespProxy.Backends.Sockets"));
    }

    public async Task<(ConnectionContext Connection, string Version)> ConnectAsync(ServerEndpoint endpoint, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_options.ConnectTimeoutMs);
        var address = endpoint.Address ?? await ResolveAsync(endpoint.Host, timeout.Token);
        var target = new IPEndPoint(address, endpoint.Port);
        ConnectionContext connection = _epoll is not null
            ? await _epoll.ConnectAsync(target, timeout.Token)
            : await ConnectWithSocketsAsync(target, timeout.Token);
        try
        {
            string version = await BackendHandshake.RunAsync(connection.Transport, _options, timeout.Token);
            return (connection, version);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task<ConnectionContext> ConnectWithSocketsAsync(IPEndPoint target, CancellationToken token)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, token);
            return _factory.Create(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<IPAddress> ResolveAsync(string host, CancellationToken token)
    {
        var addresses = await Dns.GetHostAddressesAsync(host, token);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
    }

    public void Dispose() => _factory.Dispose();
}
