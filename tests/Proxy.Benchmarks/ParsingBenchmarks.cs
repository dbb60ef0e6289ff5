using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using RespProxy.Resp.Commands;
using RespProxy.Resp.Framing;
using RespProxy.Resp.Parsing;
using RespProxy.Topology.Cluster;

namespace RespProxy.Benchmarks;

/// <summary>Per-request costs of the request path's building blocks; each op handles <see cref="Batch"/> items.</summary>
[MemoryDiagnoser]
public class ParsingBenchmarks
{
    private const int Batch = 100;

    private readonly RequestParser _parser = new();
    private ReadOnlySequence<byte> _setRequests;
    private ReadOnlySequence<byte> _mgetRequests;
    private ReadOnlySequence<byte> _replies;
    private byte[] _key = [];

    [GlobalSetup]
    public void Setup()
    {
        _setRequests = new ReadOnlySequence<byte>(Repeat("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$3\r\nxyz\r\n"));
        _mgetRequests = new ReadOnlySequence<byte>(Repeat("*11\r\n$4\r\nMGET\r\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"$16\r\nkey:00000001234{i}\r\n"))));
        _replies = new ReadOnlySequence<byte>(Repeat("$3\r\nxyz\r\n"));
        _key = "user:{1000}:profile"u8.ToArray();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int ParseSet() => ParseAll(_setRequests);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int ParseMget10() => ParseAll(_mgetRequests);

    [Benchmark(OperationsPerInvoke = Batch)]
    public long ScanReplies()
    {
        var scanner = default(RespFrameScanner);
        var buffer = _replies;
        long total = 0;
        while (scanner.TryScan(buffer, out long length) == ScanResult.Complete)
        {
            total += length;
            buffer = buffer.Slice(length);
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int LookUpCommand()
    {
        int found = 0;
        for (int i = 0; i < Batch; i++)
        {
            found += CommandTable.TryGet("get"u8, out _) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int HashKey()
    {
        int slot = 0;
        for (int i = 0; i < Batch; i++)
        {
            slot ^= HashSlot.Of(_key);
        }

        return slot;
    }

    private int ParseAll(ReadOnlySequence<byte> buffer)
    {
        int count = 0;
        while (_parser.TryParse(buffer, out long consumed) == RequestParseResult.Request)
        {
            count += _parser.Request.ArgumentCount;
            buffer = buffer.Slice(consumed);
        }

        return count;
    }

    private static byte[] Repeat(string frame) => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(frame, Batch)));
}
