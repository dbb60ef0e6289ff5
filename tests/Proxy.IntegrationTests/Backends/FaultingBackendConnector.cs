using System.IO.Pipelines;
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

    private sealed class FaultingConnection : ConnectionContext, IDuplexPipe
    {
        private readonly ConnectionContext _inner;

        public FaultingConnection(ConnectionContext inner, FaultingBackendConnector connector)
        {
            _inner = inner;
            Output = new FaultInjectingPipeWriter(inner.Transport.Output, connector.ThrowIfArmed);
        }

        public PipeReader Input => _inner.Transport.Input;

        public PipeWriter Output { get; }

        public override IDuplexPipe Transport { get => this; set => throw new NotSupportedException(); }

        public override string ConnectionId { get => _inner.ConnectionId; set => _inner.ConnectionId = value; }

        // Without IDirectSendFeature: the proxy then writes everything through Output.
        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override IDictionary<object, object?> Items { get => _inner.Items; set => _inner.Items = value; }

        public override void Abort(ConnectionAbortedException abortReason) => _inner.Abort(abortReason);

        public override async ValueTask DisposeAsync()
        {
            await _inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
