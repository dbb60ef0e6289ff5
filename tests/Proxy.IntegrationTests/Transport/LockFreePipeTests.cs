using System.Buffers;
using System.IO.Pipelines;
using RespProxy.Transport;
using Xunit;

namespace RespProxy.IntegrationTests.Transport;

/// <summary>
/// The epoll transport's lock-free pipe keeps System.IO.Pipelines' contract where the proxy relies on it: bytes arrive
/// whole and in order across segments, a read waits for a flush, examined-but-unconsumed bytes make the next read
/// wait, cancellation and completion end a wait, the writer pauses and resumes at its thresholds, and every block
/// goes back to the pool once the reader has consumed everything (an idle connection holds none).
/// </summary>
public sealed class LockFreePipeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly CountingPool _pool = new();

    [Fact]
    public async Task Bytes_written_across_several_segments_are_read_whole_and_in_order()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64);
        byte[] data = Pattern(0, 1000);
        pipe.Writer.Write(data.AsSpan(0, 300));
        var large = pipe.Writer.GetMemory(500); // larger than a segment: a segment of its own
        Assert.True(large.Length >= 500);
        data.AsSpan(300, 500).CopyTo(large.Span);
        pipe.Writer.Advance(500);
        Assert.Equal(800, pipe.Writer.UnflushedBytes);
        pipe.Writer.Write(data.AsSpan(800));
        await pipe.Writer.FlushAsync();
        Assert.Equal(0, pipe.Writer.UnflushedBytes);

        var result = await pipe.Reader.ReadAsync();
        Assert.False(result.Buffer.IsSingleSegment);
        Assert.Equal(data, result.Buffer.ToArray());
        pipe.Reader.AdvanceTo(result.Buffer.End);
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task Unflushed_bytes_are_not_readable()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64);
        pipe.Writer.Write(Pattern(0, 10));
        Assert.False(pipe.Reader.TryRead(out _));
        var read = pipe.Reader.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);

        await pipe.Writer.FlushAsync();
        var result = await read.WaitAsync(Deadline);
        Assert.Equal(Pattern(0, 10), result.Buffer.ToArray());
    }

    [Fact]
    public async Task A_read_waits_for_a_flush_from_another_thread()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64);
        var read = pipe.Reader.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);

        await Task.Run(async () =>
        {
            pipe.Writer.Write(Pattern(7, 100));
            await pipe.Writer.FlushAsync();
        });
        var result = await read.WaitAsync(Deadline);
        Assert.Equal(Pattern(7, 100), result.Buffer.ToArray());
    }

    [Fact]
    public async Task Examined_bytes_make_the_next_read_wait_and_unexamined_ones_return_it_at_once()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64);
        pipe.Writer.Write(Pattern(0, 10));
        await pipe.Writer.FlushAsync();

        var first = await pipe.Reader.ReadAsync();
        pipe.Reader.AdvanceTo(first.Buffer.Start, first.Buffer.Start);
        var again = pipe.Reader.ReadAsync().AsTask();
        Assert.True(again.IsCompleted);
        var second = await again;
        Assert.Equal(10, second.Buffer.Length);

        pipe.Reader.AdvanceTo(second.Buffer.GetPosition(4), second.Buffer.End);
        Assert.True(pipe.Reader.TryRead(out var unconsumed)); // TryRead returns what is unconsumed, examined or not
        Assert.Equal(Pattern(4, 6), unconsumed.Buffer.ToArray());
        pipe.Reader.AdvanceTo(unconsumed.Buffer.Start, unconsumed.Buffer.End);
        var waiting = pipe.Reader.ReadAsync().AsTask();
        Assert.False(waiting.IsCompleted);

        pipe.Writer.Write(Pattern(10, 5));
        await pipe.Writer.FlushAsync();
        var third = await waiting.WaitAsync(Deadline);
        Assert.Equal(Pattern(4, 11), third.Buffer.ToArray());
    }

    [Fact]
    public async Task Consuming_everything_returns_every_block_and_writing_again_takes_a_new_one()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64);
        for (int round = 0; round < 3; round++)
        {
            pipe.Writer.Write(Pattern(round, 200));
            await pipe.Writer.FlushAsync();
            Assert.Equal(4, _pool.Outstanding);

            var result = await pipe.Reader.ReadAsync();
            Assert.Equal(Pattern(round, 200), result.Buffer.ToArray());
            pipe.Reader.AdvanceTo(result.Buffer.GetPosition(150));
            Assert.Equal(2, _pool.Outstanding); // the segments read to their end went back

            result = await pipe.Reader.ReadAsync();
            Assert.Equal(Pattern(round + 150, 50), result.Buffer.ToArray());
            pipe.Reader.AdvanceTo(result.Buffer.End);
            Assert.Equal(0, _pool.Outstanding);
        }
    }

    [Fact]
    public async Task A_writer_holding_memory_keeps_its_block_until_it_flushes()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64);
        pipe.Writer.Write(Pattern(0, 10));
        await pipe.Writer.FlushAsync();
        var memory = pipe.Writer.GetMemory(); // e.g. a receive that found the socket empty

        var result = await pipe.Reader.ReadAsync();
        pipe.Reader.AdvanceTo(result.Buffer.End);
        Assert.Equal(1, _pool.Outstanding);

        Pattern(10, 5).CopyTo(memory.Span);
        pipe.Writer.Advance(5);
        await pipe.Writer.FlushAsync();
        result = await pipe.Reader.ReadAsync();
        Assert.Equal(Pattern(10, 5), result.Buffer.ToArray());
        pipe.Reader.AdvanceTo(result.Buffer.End);
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task Completing_the_writer_ends_a_wait_after_the_last_bytes()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64);
        var read = pipe.Reader.ReadAsync().AsTask();
        pipe.Writer.Write(Pattern(0, 3));
        pipe.Writer.Complete(); // publishes what was written

        var result = await read.WaitAsync(Deadline);
        if (!result.IsCompleted)
        {
            pipe.Reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await pipe.Reader.ReadAsync().AsTask().WaitAsync(Deadline);
        }

        Assert.True(result.IsCompleted);
        Assert.Equal(Pattern(0, 3), result.Buffer.ToArray());
        pipe.Reader.AdvanceTo(result.Buffer.End);
        pipe.Reader.Complete();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task A_writer_completed_with_an_error_makes_the_read_throw_it()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64);
        var read = pipe.Reader.ReadAsync().AsTask();
        pipe.Writer.Complete(new TimeoutException("reset"));
        var error = await Assert.ThrowsAsync<TimeoutException>(async () => await read.WaitAsync(Deadline));
        Assert.Equal("reset", error.Message);
        pipe.Reader.Complete();
    }

    [Fact]
    public async Task CancelPendingRead_ends_a_wait_or_the_next_read_as_canceled()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64);
        var read = pipe.Reader.ReadAsync().AsTask();
        await Task.Run(pipe.Reader.CancelPendingRead);
        var result = await read.WaitAsync(Deadline);
        Assert.True(result.IsCanceled);
        pipe.Reader.AdvanceTo(result.Buffer.Start);

        pipe.Reader.CancelPendingRead();
        result = await pipe.Reader.ReadAsync();
        Assert.True(result.IsCanceled);
        pipe.Reader.AdvanceTo(result.Buffer.Start);

        Assert.False(pipe.Reader.ReadAsync().AsTask().IsCompleted); // the cancellation was used up
    }

    [Fact]
    public async Task A_canceled_token_ends_a_read_and_a_later_read_still_works()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64);
        using var cancel = new CancellationTokenSource();
        var read = pipe.Reader.ReadAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read.WaitAsync(Deadline));

        var next = pipe.Reader.ReadAsync().AsTask();
        pipe.Writer.Write(Pattern(0, 4));
        await pipe.Writer.FlushAsync();
        Assert.Equal(Pattern(0, 4), (await next.WaitAsync(Deadline)).Buffer.ToArray());
    }

    [Fact]
    public async Task The_writer_pauses_at_the_threshold_and_resumes_below_the_resume_threshold()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64, pauseWriterThreshold: 100, resumeWriterThreshold: 50);
        pipe.Writer.Write(Pattern(0, 99));
        Assert.True(pipe.Writer.FlushAsync().AsTask().IsCompleted);
        pipe.Writer.Write(Pattern(99, 1));
        var flush = pipe.Writer.FlushAsync().AsTask();
        Assert.False(flush.IsCompleted);

        var result = await pipe.Reader.ReadAsync();
        pipe.Reader.AdvanceTo(result.Buffer.GetPosition(50));
        Assert.False(flush.IsCompleted); // 50 behind: not less than the resume threshold
        result = await pipe.Reader.ReadAsync();
        pipe.Reader.AdvanceTo(result.Buffer.GetPosition(1));
        var flushed = await flush.WaitAsync(Deadline);
        Assert.False(flushed.IsCompleted);
        Assert.False(flushed.IsCanceled);
    }

    [Fact]
    public async Task A_paused_writer_is_released_by_the_reader_completing_or_by_CancelPendingFlush()
    {
        var pipe = new LockFreePipe(_pool, segmentSize: 64, pauseWriterThreshold: 10, resumeWriterThreshold: 5);
        pipe.Writer.Write(Pattern(0, 10));
        var flush = pipe.Writer.FlushAsync().AsTask();
        Assert.False(flush.IsCompleted);
        pipe.Writer.CancelPendingFlush();
        Assert.True((await flush.WaitAsync(Deadline)).IsCanceled);

        flush = pipe.Writer.FlushAsync().AsTask();
        Assert.False(flush.IsCompleted);
        await Task.Run(() => pipe.Reader.Complete());
        Assert.True((await flush.WaitAsync(Deadline)).IsCompleted);

        pipe.Writer.Write(Pattern(0, 10)); // nobody reads: discarded
        Assert.True((await pipe.Writer.FlushAsync()).IsCompleted);
        pipe.Writer.Complete();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task Completing_both_ends_returns_every_block_whichever_completes_last()
    {
        foreach (bool readerLast in new[] { false, true })
        {
            var pipe = new LockFreePipe(_pool, segmentSize: 64);
            pipe.Writer.Write(Pattern(0, 300));
            await pipe.Writer.FlushAsync();
            pipe.Writer.GetMemory();
            var result = await pipe.Reader.ReadAsync();
            pipe.Reader.AdvanceTo(result.Buffer.GetPosition(100));
            Assert.True(_pool.Outstanding > 0);
            if (readerLast)
            {
                pipe.Writer.Complete();
                pipe.Reader.Complete();
            }
            else
            {
                pipe.Reader.Complete();
                pipe.Writer.Complete();
            }

            Assert.Equal(0, _pool.Outstanding);
        }
    }

    [Fact]
    public async Task A_writer_and_a_reader_on_two_threads_pass_every_byte_in_order()
    {
        // Random write and consume sizes, the writer pausing often: the hand-overs race as they do between a loop
        // thread and a session. Every byte is checked, and at the end no block is left out of the pool.
        const long Total = 40 * 1024 * 1024;
        var pipe = new LockFreePipe(_pool, segmentSize: 1024, pauseWriterThreshold: 4096, resumeWriterThreshold: 1024);
        var writer = Task.Run(async () =>
        {
            var random = new Random(1);
            long written = 0;
            while (written < Total)
            {
                int size = (int)Math.Min(random.Next(1, 3000), Total - written);
                var span = pipe.Writer.GetSpan(random.Next(0, 2) == 0 ? 0 : size);
                size = Math.Min(size, span.Length);
                for (int i = 0; i < size; i++)
                {
                    span[i] = (byte)((written + i) % 251);
                }

                pipe.Writer.Advance(size);
                written += size;
                if (random.Next(0, 3) != 0)
                {
                    await pipe.Writer.FlushAsync();
                }
            }

            pipe.Writer.Complete();
        });

        var reader = Task.Run(async () =>
        {
            var random = new Random(2);
            long read = 0;
            while (true)
            {
                var result = await pipe.Reader.ReadAsync();
                var buffer = result.Buffer;
                long verify = 0;
                foreach (var segment in buffer)
                {
                    var span = segment.Span;
                    for (int i = 0; i < span.Length; i++)
                    {
                        if (span[i] != (byte)((read + verify + i) % 251))
                        {
                            throw new InvalidDataException($"byte {read + verify + i} is wrong");
                        }
                    }

                    verify += span.Length;
                }

                // Part of it sometimes, examined no further (examining all of it while the paused writer waits for
                // the reader to catch up would wait forever, with this pipe as with Pipe).
                long take = random.Next(0, 4) == 0 ? buffer.Length / 2 : buffer.Length;
                var consumed = buffer.GetPosition(take);
                pipe.Reader.AdvanceTo(consumed, take == buffer.Length ? buffer.End : consumed);
                read += take;
                if (result.IsCompleted && take == buffer.Length)
                {
                    break;
                }
            }

            pipe.Reader.Complete();
            return read;
        });

        await writer.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(Total, await reader.WaitAsync(TimeSpan.FromMinutes(2)));
        Assert.Equal(0, _pool.Outstanding);
    }

    private static byte[] Pattern(int start, int length) => Enumerable.Range(start, length).Select(i => (byte)(i % 251)).ToArray();

    // Array blocks of the asked size that count what is out of the pool.
    private sealed class CountingPool : MemoryPool<byte>
    {
        private int _outstanding;

        public int Outstanding => Volatile.Read(ref _outstanding);

        public override int MaxBufferSize => int.MaxValue;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            Interlocked.Increment(ref _outstanding);
            return new Block(this, new byte[minBufferSize]);
        }

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Block(CountingPool pool, byte[] array) : IMemoryOwner<byte>
        {
            private int _disposed;

            public Memory<byte> Memory => array;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) != 0)
                {
                    throw new InvalidOperationException("a block was returned twice");
                }

                Interlocked.Decrement(ref pool._outstanding);
            }
        }
    }
}
