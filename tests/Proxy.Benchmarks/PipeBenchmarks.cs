using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using RespProxy.Transport;

namespace RespProxy.Benchmarks;

/// <summary>
/// One request's trip through a transport pipe, as the epoll loop and a session make it at pipeline 1: GetMemory,
/// Advance by a GET's size, FlushAsync, ReadAsync, AdvanceTo the end (the chain goes back to the pool each time, as
/// on an idle connection between requests). The lock-free pipe against System.IO.Pipelines' Pipe with the options the
/// transport used before; single-threaded, so this is the uncontended cost of each.
/// </summary>
[MemoryDiagnoser]
public class PipeBenchmarks
{
    private const int Batch = 100;
    private const int RequestBytes = 35; // *2\r\n$3\r\nGET\r\n$16\r\nkey:000000012345\r\n

    private readonly Pipe _pipe = new(new PipeOptions(
        pool: BlockMemoryPool.Shared,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0,
        minimumSegmentSize: BlockMemoryPool.BlockSize,
        useSynchronizationContext: false));

    private readonly LockFreePipe _lockFree = new(BlockMemoryPool.Shared, BlockMemoryPool.BlockSize);

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public long Pipe() => RoundTrips(_pipe.Writer, _pipe.Reader);

    [Benchmark(OperationsPerInvoke = Batch)]
    public long LockFree() => RoundTrips(_lockFree.Writer, _lockFree.Reader);

    private static long RoundTrips(PipeWriter writer, PipeReader reader)
    {
        long total = 0;
        for (int i = 0; i < Batch; i++)
        {
            writer.GetMemory(2048);
            writer.Advance(RequestBytes);
            var flush = writer.FlushAsync();
            if (!flush.IsCompletedSuccessfully || flush.GetAwaiter().GetResult().IsCompleted)
            {
                throw new InvalidOperationException("the flush waited");
            }

            var read = reader.ReadAsync();
            if (!read.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("the read waited");
            }

            var buffer = read.Result.Buffer;
            total += buffer.Length;
            reader.AdvanceTo(buffer.End);
        }

        return total;
    }
}
