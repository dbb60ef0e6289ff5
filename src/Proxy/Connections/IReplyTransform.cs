using System.Buffers;

namespace RespProxy.Connections;

/// <summary>Turns a backend reply into the reply the client gets, for the few commands the proxy amends.</summary>
internal interface IReplyTransform
{
    void Apply(in ReadOnlySequence<byte> backendReply, IBufferWriter<byte> output);
}
