using System.Buffers;
using RespProxy.Transport;

namespace RespProxy.IntegrationTests.Transport;

/// <summary>A socket whose buffer takes at most <c>takes</c> bytes in all, for the tests of direct sends.</summary>
internal sealed class FakeSocket(int takes) : IDirectSendFeature
{
    public List<byte> Received { get; } = [];

    public int Calls { get; private set; }

    public long BytesSent => Received.Count;

    public bool SendsAreBatched => false;

    public long TrySend(in ReadOnlySequence<byte> data)
    {
        Calls++;
        var bytes = data.ToArray();
        int taken = Math.Min(bytes.Length, takes - Received.Count);
        Received.AddRange(bytes[..taken]);
        return taken;
    }

    public long TrySend(ReadOnlySpan<ReadOnlyMemory<byte>> parts)
    {
        var joined = new List<byte>();
        foreach (var part in parts)
        {
            joined.AddRange(part.ToArray());
        }

        return TrySend(new ReadOnlySequence<byte>(joined.ToArray()));
    }

    public Task WaitWritableAsync() => throw new InvalidOperationException("the tests never wait for it");
}
