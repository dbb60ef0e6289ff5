using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace RespProxy.Hosting;

/// <summary>The listeners as bound (port 0 resolved once the host started), for tests and logs.</summary>
public sealed class ProxyEndpoints
{
    internal ListenOptions? Resp { get; set; }

    internal ListenOptions? Admin { get; set; }

    public IPEndPoint RespEndPoint => Resp?.IPEndPoint ?? throw new InvalidOperationException("The RESP listener is not configured.");

    public IPEndPoint AdminEndPoint => Admin?.IPEndPoint ?? throw new InvalidOperationException("The admin listener is not configured.");
}
