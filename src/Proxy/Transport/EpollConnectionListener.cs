using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace RespProxy.Transport;

/// <summary>Accepts on a listening socket (through .NET's engine: accepts are rare) and hands each connection to a
/// loop of the <see cref="EpollTransport"/>.</summary>
internal sealed class EpollConnectionListener : IConnectionListener
{
    private readonly EpollTransport _transport;
    private readonly Socket _socket;

    public EpollConnectionListener(EpollTransport transport, IPEndPoint endpoint)
    {
        _transport = transport;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endpoint.Address.Equals(IPAddress.IPv6Any))
        {
            _socket.DualMode = true;
        }

        try
        {
            _socket.Bind(new IPEndPoint(endpoint.Address, endpoint.Port));
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            _socket.Dispose();
            throw new AddressInUseException(ex.Message, ex);
        }

        _socket.Listen(512);
        EndPoint = _socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                var socket = await _socket.AcceptAsync(cancellationToken);
                socket.NoDelay = true;
                return _transport.Adopt(socket);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
            {
                return null;
            }
            catch (SocketException)
            {
                // The peer gave up before the accept completed (ECONNRESET, ECONNABORTED): take the next one.
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
