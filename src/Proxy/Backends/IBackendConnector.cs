using Microsoft.AspNetCore.Connections;
using RespProxy.Topology.Model;

namespace RespProxy.Backends;

/// <summary>
/// Opens a connection to a backend server and runs its handshake. Sockets in production; an in-memory duplex pipe
/// in the end-to-end session benchmark, so the proxy's own cost is measured without the kernel's.
/// </summary>
internal interface IBackendConnector
{
    /// <summary>The connected transport and the server's redis_version.</summary>
    Task<(ConnectionContext Connection, string Version)> ConnectAsync(ServerEndpoint endpoint, CancellationToken token);
}
