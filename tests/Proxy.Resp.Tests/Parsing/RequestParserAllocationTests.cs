using System.Buffers;
using RespProxy.Resp.Parsing;
using Xunit;
using static RespProxy.Resp.Tests.Framing.TestBytes;

namespace RespProxy.Resp.Tests.Parsing;

public class RequestParserAllocationTests
{
    private const int RequestCount = 1000;

    [Fact]
    public void TryParse_ThousandPipelinedSetsAfterWarmUp_AllocatesNothing()
    {
        var stream = Concat(Enumerable.Range(0, RequestCount)
            .Select(i => Multibulk("SET", $"key:{i}", new string('v', i % 200)))
            .ToArray());
        AssertParsedWithoutAllocating(stream);
    }

    [Fact]
    public void TryParse_ThousandPipelinedInlineRequestsAfterWarmUp_AllocatesNothing()
    {
        var stream = Concat(Enumerable.Range(0, RequestCount).Select(i => Of($"SET key:{i} \"v\\x41 {i}\"\r\n")).ToArray());
        AssertParsedWithoutAllocating(stream);
    }

    // Parses the stream twice to warm up, then once more, which must allocate nothing and take every request.
    private static void AssertParsedWithoutAllocating(byte[] stream)
    {
        var buffer = new ReadOnlySequence<byte>(stream);
        var parser = new RequestParser();
        ParseAll(parser, buffer);
        ParseAll(parser, buffer);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var (requests, bytes) = ParseAll(parser, buffer);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(RequestCount, requests);
        Assert.Equal(stream.Length, bytes);
        Assert.Equal(0, allocated);
    }

    private static (int Requests, long Bytes) ParseAll(RequestParser parser, ReadOnlySequence<byte> buffer)
    {
        int requests = 0;
        long bytes = 0;
        while (parser.TryParse(buffer, out long consumed) == RequestParseResult.Request)
        {
            if (!parser.Request.ArgumentEquals(0, "SET"u8) || parser.Request.ArgumentCount != 3)
            {
                throw new InvalidOperationException("unexpected request");
            }

            requests++;
            bytes += consumed;
            buffer = buffer.Slice(consumed);
        }

        return (requests, bytes);
    }
}
