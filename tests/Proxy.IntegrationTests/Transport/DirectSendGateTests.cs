using System.Buffers;
using System.IO.Pipelines;
using RespProxy.Transport;
using Xunit;

namespace RespProxy.IntegrationTests.Transport;

/// <summary>
/// A writer may send directly only while everything it gave the transport is on the socket and nothing it wrote waits
/// unflushed in the pipe: otherwise the direct send would overtake those bytes.
/// </summary>
public sealed class DirectSendGateTests
{
    [Fact]
    public void A_writer_that_takes_over_a_connection_after_its_handshake_may_send_directly()
    {
        // A backend connection's handshake went out through the pipe before the connection's writer existed.
        var transport = new CountingTransport { BytesSent = 120 };
        var pipe = new Pipe();

        var gate = new DirectSendGate(transport);

        Assert.Same(transport, gate.IfIdle(pipe.Writer));
    }

    [Fact]
    public async Task Bytes_written_but_not_yet_flushed_forbid_a_direct_send_until_they_are_flushed_and_sent()
    {
        var transport = new CountingTransport();
        var pipe = new Pipe();
        var gate = new DirectSendGate(transport);

        pipe.Writer.Write(new byte[20_000]);
        Assert.Null(gate.IfIdle(pipe.Writer));

        Assert.True(gate.Flushing(pipe.Writer));
        await pipe.Writer.FlushAsync();
        Assert.Null(gate.IfIdle(pipe.Writer)); // flushed, not yet on the socket

        transport.BytesSent = 20_000;
        Assert.Same(transport, gate.IfIdle(pipe.Writer));
    }

    [Fact]
    public void Bytes_sent_directly_count_as_given_to_the_transport()
    {
        var transport = new CountingTransport();
        var pipe = new Pipe();
        var gate = new DirectSendGate(transport);

        gate.Sent(500);
        Assert.Null(gate.IfIdle(pipe.Writer));

        transport.BytesSent = 500;
        Assert.Same(transport, gate.IfIdle(pipe.Writer));
    }

    private sealed class CountingTransport : IDirectSendFeature
    {
        public long BytesSent { get; set; }

        public bool SendsAreBatched { get; set; }

        public long TrySend(in ReadOnlySequence<byte> data) => throw new InvalidOperationException("the gate never sends");

        public long TrySend(ReadOnlySpan<ReadOnlyMemory<byte>> parts) => throw new InvalidOperationException("the gate never sends");

        public Task WaitWritableAsync() => throw new InvalidOperationException("the gate never waits");
    }
}
