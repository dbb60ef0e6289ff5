using System.Buffers;
using System.IO.Pipelines;
using RespProxy.Backends;
using RespProxy.Transport;
using Xunit;
using static RespProxy.IntegrationTests.Transport.TestFrames;

namespace RespProxy.IntegrationTests.Backends;

/// <summary>
/// A batch with requests lent from a client's input sends them in order with the staged ones, whatever the socket
/// takes; the lent blocks are not reused before the batch lets them go, even after the client's pipe moved past them.
/// </summary>
public sealed class LentBatchTests
{
    private static readonly PipeOptions s_clientInput = new(
        pool: BlockMemoryPool.Shared, minimumSegmentSize: BlockMemoryPool.BlockSize, pauseWriterThreshold: 0, useSynchronizationContext: false);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(20_000)]
    [InlineData(int.MaxValue)]
    public void Staged_and_lent_requests_leave_in_order_and_the_pipe_holds_exactly_the_rest(int takes)
    {
        var client = new Pipe(s_clientInput);
        byte[] large1 = Frame(40_000, 7);
        byte[] large2 = Frame(20_000, 9);
        var input = Receive(client, large1, large2);
        byte[] small1 = Frame(100, 1), small2 = Frame(10, 2), small3 = Frame(3000, 3);

        var batch = new LentBatch();
        var backend = new Pipe();
        var writes = new LentWrites(batch, backend.Writer);
        writes.Write(small1);
        writes.Lend(input.Slice(0, large1.Length));
        writes.Write(small2);
        writes.Write(small3);
        writes.Lend(input.Slice(large1.Length, large2.Length));
        writes.Commit();
        client.Reader.AdvanceTo(input.End);
        Assert.False(batch.IsEmpty);

        var socket = new Transport.FakeSocket(takes);
        long sent = socket.TrySend(batch.Parts);
        batch.Consume(sent);
        var rest = new GatheredWrites(backend.Writer);
        batch.MoveTo(ref rest);
        rest.Commit();

        Assert.True(batch.IsEmpty);
        Assert.Equal(Math.Min(takes, socket.Received.Count), sent);
        Assert.Equal(Concat(small1, large1, small2, small3, large2), socket.Received.Concat(ReadPipe(backend)).ToArray());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(10)]
    public void Requests_joining_a_batch_whose_front_was_sent_follow_the_rest_of_it(int divisor)
    {
        // The socket takes part of the batch at a time (waiting for the socket in between) while more requests join.
        var client = new Pipe(s_clientInput);
        byte[][] large = [Frame(40_000, 7), Frame(33_000, 8), Frame(50_000, 9), Frame(17_000, 10)];
        var input = Receive(client, large);
        var batch = new LentBatch();
        var backend = new Pipe();
        var received = new List<byte>();
        var expected = new List<byte>();
        long offset = 0;
        for (int i = 0; i < large.Length; i++)
        {
            byte[] small = Frame(20 + i, (byte)(i + 1));
            var writes = new LentWrites(batch, backend.Writer);
            writes.Write(small);
            Assert.True(writes.Lend(input.Slice(offset, large[i].Length)));
            writes.Write(small);
            writes.Write(small);
            writes.Commit();
            offset += large[i].Length;
            expected.AddRange(small);
            expected.AddRange(large[i]);
            expected.AddRange(small);
            expected.AddRange(small);

            long left = batch.Parts.ToArray().Sum(part => (long)part.Length);
            Take(batch, received, left / divisor);
        }

        client.Reader.AdvanceTo(input.End);
        var rest = new GatheredWrites(backend.Writer);
        batch.MoveTo(ref rest);
        rest.Commit();

        Assert.True(batch.IsEmpty);
        Assert.Equal(expected.ToArray(), received.Concat(ReadPipe(backend)).ToArray());
    }

    [Fact]
    public void Staged_frames_of_any_size_span_staging_blocks_in_order()
    {
        // Requests copied into their slots (not lent) can be large too; staged, they fill one pool block after another.
        var client = new Pipe(s_clientInput);
        byte[] lent = Frame(20_000, 3);
        var input = Receive(client, lent);
        var batch = new LentBatch();
        var backend = new Pipe();
        var received = new List<byte>();
        var expected = new List<byte>();
        var writes = new LentWrites(batch, backend.Writer);
        foreach (int length in new[] { 30_000, 10, 5_000, 16_384, 1, 40_000 })
        {
            byte[] frame = Frame(length, (byte)length);
            writes.Write(frame);
            expected.AddRange(frame);
        }

        Assert.True(writes.Lend(input));
        expected.AddRange(lent);
        writes.Write(Frame(7, 1));
        expected.AddRange(Frame(7, 1));
        writes.Commit();
        client.Reader.AdvanceTo(input.End);
        Assert.False(batch.IsEmpty);

        Take(batch, received, 45_000);
        Take(batch, received, 1);
        var rest = new GatheredWrites(backend.Writer);
        batch.MoveTo(ref rest);
        rest.Commit();

        Assert.Equal(expected.ToArray(), received.Concat(ReadPipe(backend)).ToArray());
    }

    // What a socket taking `bytes` of the batch would receive.
    private static void Take(LentBatch batch, List<byte> received, long bytes)
    {
        long taken = 0;
        foreach (var part in batch.Parts)
        {
            int length = (int)Math.Min(part.Length, bytes - taken);
            received.AddRange(part.Span[..length].ToArray());
            taken += length;
            if (taken == bytes)
            {
                break;
            }
        }

        batch.Consume(taken);
    }

    [Fact]
    public void A_batch_out_of_room_moves_into_the_pipe_in_order()
    {
        // 5,000 lent frames of 1,000 bytes, each after a staged one: more parts (10,000 and more) than a batch holds.
        var client = new Pipe(s_clientInput);
        var frames = Enumerable.Range(0, 5000).Select(i => Frame(1000, (byte)i)).ToArray();
        var input = Receive(client, frames);

        var batch = new LentBatch();
        var backend = new Pipe();
        var writes = new LentWrites(batch, backend.Writer);
        var expected = new List<byte>();
        long offset = 0;
        foreach (var frame in frames)
        {
            byte[] small = Frame(50, (byte)(frame[0] + 1));
            writes.Write(small);
            writes.Lend(input.Slice(offset, frame.Length));
            offset += frame.Length;
            expected.AddRange(small);
            expected.AddRange(frame);
        }

        writes.Commit();
        client.Reader.AdvanceTo(input.End);

        Assert.True(batch.IsEmpty);
        Assert.Equal(expected.ToArray(), ReadPipe(backend));
    }

    [Fact]
    public void Memory_of_another_origin_is_copied_not_lent()
    {
        byte[] large = Frame(30_000, 5);
        var batch = new LentBatch();
        var backend = new Pipe();
        var writes = new LentWrites(batch, backend.Writer);
        writes.Write(Frame(10, 1));
        writes.Lend(new ReadOnlySequence<byte>(large));
        writes.Commit();

        Assert.True(batch.IsEmpty);
        Assert.Equal(Concat(Frame(10, 1), large), ReadPipe(backend));
    }

    [Fact]
    public void A_retained_block_returns_to_the_pool_only_when_its_pipe_and_its_borrower_let_it_go()
    {
        var pool = new BlockMemoryPool();
        var rented = pool.Rent();
        var array = ArrayOf(rented.Memory);
        Assert.True(pool.TryRetain(rented.Memory[100..200], out var retained));

        rented.Dispose();
        var other = pool.Rent();
        Assert.NotSame(array, ArrayOf(other.Memory));

        retained.Dispose();
        var again = pool.Rent();
        Assert.Same(array, ArrayOf(again.Memory));

        // Rented again, it counts from one: a single return frees it.
        again.Dispose();
        Assert.Same(array, ArrayOf(pool.Rent().Memory));
        Assert.False(pool.TryRetain(new byte[10], out _));
    }

    // The frames as a client would send them, received into the pipe's blocks; returns them unconsumed.
    private static ReadOnlySequence<byte> Receive(Pipe client, params byte[][] frames)
    {
        foreach (var frame in frames)
        {
            client.Writer.Write(frame);
        }

        client.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
        Assert.True(client.Reader.TryRead(out var result));
        return result.Buffer;
    }

    private static byte[] ArrayOf(Memory<byte> memory) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(memory, out var segment) ? segment.Array! : throw new InvalidOperationException();
}
