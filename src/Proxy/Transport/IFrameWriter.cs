namespace RespProxy.Transport;

/// <summary>Where a batch writer puts whole frames, in order (a pipe, a staging buffer, a batch of lent requests).</summary>
internal interface IFrameWriter
{
    void Write(ReadOnlySpan<byte> frame);
}
