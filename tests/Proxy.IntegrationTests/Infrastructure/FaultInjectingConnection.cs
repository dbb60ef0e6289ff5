using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace RespProxy.IntegrationTests.Infrastructure;

/// <summary>
/// A real connection whose output goes through a <see cref="FaultInjectingPipeWriter"/> that calls
/// <see cref="ThrowIfArmed"/> before each write; everything else is the wrapped connection's. The features are the
/// subclass's choice: the fault injectors leave out direct sends, so every write goes through the faulting output.
/// </summary>
internal abstract class FaultInjectingConnection : ConnectionContext, IDuplexPipe
{
    private readonly ConnectionContext _inner;

    protected FaultInjectingConnection(ConnectionContext inner, IFeatureCollection features)
    {
        _inner = inner;
        Output = new FaultInjectingPipeWriter(inner.Transport.Output, ThrowIfArmed);
        Features = features;
    }

    public PipeReader Input => _inner.Transport.Input;

    public PipeWriter Output { get; }

    public override IDuplexPipe Transport { get => this; set => throw new NotSupportedException(); }

    public override string ConnectionId { get => _inner.ConnectionId; set => _inner.ConnectionId = value; }

    public override IFeatureCollection Features { get; }

    public override IDictionary<object, object?> Items { get => _inner.Items; set => _inner.Items = value; }

    public override CancellationToken ConnectionClosed { get => _inner.ConnectionClosed; set => _inner.ConnectionClosed = value; }

    public override EndPoint? LocalEndPoint { get => _inner.LocalEndPoint; set => _inner.LocalEndPoint = value; }

    public override EndPoint? RemoteEndPoint { get => _inner.RemoteEndPoint; set => _inner.RemoteEndPoint = value; }

    /// <summary>Throws when a test has armed a fault; called before every write to the output.</summary>
    protected abstract void ThrowIfArmed();

    public override void Abort(ConnectionAbortedException abortReason) => _inner.Abort(abortReason);

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
