using System.IO.Pipelines;

namespace RespProxy.IntegrationTests.Infrastructure;

/// <summary>
/// A pipe writer that asks <paramref name="beforeWrite"/> each time the proxy takes buffer space to write into, and
/// otherwise passes everything to <paramref name="inner"/>. Fault tests throw from the callback to stand for a bug in
/// the proxy's code that writes requests or replies.
/// </summary>
internal sealed class FaultInjectingPipeWriter(PipeWriter inner, Action beforeWrite) : PipeWriter
{
    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        beforeWrite();
        return inner.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        beforeWrite();
        return inner.GetSpan(sizeHint);
    }

    public override void Advance(int bytes) => inner.Advance(bytes);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);
}
