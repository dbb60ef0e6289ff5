using System.Buffers;
using RespProxy.Resp.Framing;
using Xunit;
using static RespProxy.Resp.Tests.Framing.TestBytes;

namespace RespProxy.Resp.Tests.Framing;

public class RespFrameScannerAllocationTests
{
    private const int ReplyCount = 1000;

    private static readonly string[] Shapes =
    [
        "+OK\r\n",
        "$5\r\nhello\r\n",
        ":42\r\n",
        "*3\r\n$3\r\nfoo\r\n$-1\r\n:7\r\n",
        "%1\r\n+k\r\n~2\r\n#t\r\n,1.5\r\n",
        "|1\r\n+ttl\r\n:10\r\n>2\r\n+message\r\n$2\r\nhi\r\n",
        "-ERR unknown command\r\n",
    ];

    [Fact]
    public void TryScan_ThousandRepliesAfterWarmUp_AllocatesNothing()
    {
        var stream = Concat(Enumerable.Range(0, ReplyCount).Select(i => Of(Shapes[i % Shapes.Length])).ToArray());
        var buffer = new ReadOnlySequence<byte>(stream);
        ScanAll(buffer);
        ScanAll(buffer);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var (replies, bytes) = ScanAll(buffer);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ReplyCount, replies);
        Assert.Equal(stream.Length, bytes);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void TryScan_ThousandRepliesFedInSegmentsAfterWarmUp_AllocatesNothing()
    {
        var stream = Concat(Enumerable.Range(0, ReplyCount).Select(i => Of(Shapes[i % Shapes.Length])).ToArray());
        var cuts = Enumerable.Range(1, (stream.Length - 1) / 13).Select(i => i * 13).ToArray();
        var buffer = SegmentedSequence.Split(stream, cuts);
        ScanAll(buffer);
        ScanAll(buffer);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var (replies, bytes) = ScanAll(buffer);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ReplyCount, replies);
        Assert.Equal(stream.Length, bytes);
        Assert.Equal(0, allocated);
    }

    private static (int Replies, long Bytes) ScanAll(ReadOnlySequence<byte> buffer)
    {
        var scanner = new RespFrameScanner();
        int replies = 0;
        long bytes = 0;
        while (scanner.TryScan(buffer, out long length) == ScanResult.Complete)
        {
            replies++;
            bytes += length;
            buffer = buffer.Slice(length);
        }

        return (replies, bytes);
    }
}
