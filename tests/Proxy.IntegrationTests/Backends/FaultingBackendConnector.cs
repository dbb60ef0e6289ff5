using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.Backends;
using RespProxy.Topology.Model;

namespace RespProxy.IntegrationTests.Backends;

/// <summary>
/// Real backend connections whose output throws once when armed (<see cref="FailNextWrite"/>), to stand for a bug in
/// the code that writes requests. The connections offer no direct sends, so every write goes through that output.
/// </summary>
internal sealed class FaultingBackendConnector(IBackendConnector inner) : IBackendConnector
{
    private int _armed;

    public int Faults { get; private set; }

    /// <summary>The next write to any backend connection's output throws.</summary>
    public void FailNextWrite() => Volatile.Write(ref _armed, 1);

    public async Task<(ConnectionContext Connection, string Version)> ConnectAsync(ServerEndpoint endpoint, CancellationToken token)
    {
        var (connection, version) = await inner.ConnectAsync(endpoint, token);
        return (new FaultingConnection(connection, this), version);
    }

    private void ThrowIfArmed()
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            Faults++;
            throw new InvalidOperationException("injected write failure");
        }
    }

    // Without IDirectSendFeature: the proxy then writes everything through the faulting output.
    private sealed class FaultingConnection(ConnectionContext inner, FaultingBackendConnector connector)
        : FaultInjectingConnection(inner, new FeatureCollection())
    {
        protected override void ThrowIfArmed() => connector.ThrowIfArmed();
    }
}
