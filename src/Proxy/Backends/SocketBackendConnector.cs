using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RespProxy.Topology.Model;

namespace RespProxy.Backends;

/// <summary>TCP connections to backends, with Kestrel's socket pipes, after the <see cref="BackendHandshake"/>.</summary>
internal sealed class SocketBackendConnector : IBackendConnector, IDisposable
{
    private readonly BackendOptions _options;
    private readonly SocketConnectionContextFactory _factory;

    public SocketBackendConnector(IOptions<BackendOptions> options, ILoggerFactory loggerFactory)
    {
        _options = options.Value;

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
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            var address = endpoint.Address;
            if (address is not null)
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), timeout.Token);
            }
            else
            {
                await socket.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token);
            }

            string version = await BackendHandshake.RunAsync(socket, _options, timeout.Token);
            return (_factory.Create(socket), version);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _factory.Dispose();
}
