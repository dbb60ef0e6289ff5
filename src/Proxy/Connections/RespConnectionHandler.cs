using Microsoft.AspNetCore.Connections;
using RespProxy.Hosting;

namespace RespProxy.Connections;

/// <summary>Kestrel hands every accepted client connection here; each gets its own <see cref="ClientSession"/>.</summary>
internal sealed class RespConnectionHandler(ProxyRuntime runtime) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        runtime.ClientConnected();
        try
        {
            await new ClientSession(connection, runtime).RunAsync();
        }
        finally
        {
            runtime.ClientDisconnected();
        }
    }
}
