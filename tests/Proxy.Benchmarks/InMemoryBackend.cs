using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using RespProxy.Backends;
using RespProxy.Resp.Parsing;
using RespProxy.Resp.Writing;
using RespProxy.Topology.Model;

namespace RespProxy.Benchmarks;

/// <summary>
/// A backend made of pipes: a tiny responder answers SET with +OK, MGET with an array of 3-byte bulks and anything else
/// with a 3-byte bulk, one flush per read. It lets the end-to-end benchmark measure the proxy's own work, without sockets or a Redis.
/// </summary>
internal sealed class InMemoryBackend : IBackendConnector
{
    private static readonly byte[] s_ok = "+OK\r\n"u8.ToArray();
    private static readonly byte[] s_value = "$3\r\nxyz\r\n"u8.ToArray();

    public Task<(ConnectionContext Connection, string Version)> ConnectAsync(ServerEndpoint endpoint, CancellationToken token)
    {
        var (proxySide, serverSide) = DuplexPipePair.Create();
        _ = RespondAsync(serverSide);
        return Task.FromResult<(ConnectionContext, string)>((new DefaultConnectionContext(Guid.NewGuid().ToString(), proxySide, serverSide), "7.0.15"));
    }

    private static async Task RespondAsync(IDuplexPipe server)
    {
        var parser = new RequestParser();
        while (true)
        {
            var result = await server.Input.ReadAsync();
            var buffer = result.Buffer;
            while (parser.TryParse(buffer, out long consumed) == RequestParseResult.Request)
            {
                var request = parser.Request;
                if (request.ArgumentEquals(0, "MGET"u8))
                {
                    RespWriter.WriteArrayHeader(server.Output, request.ArgumentCount - 1);
                    for (int i = 1; i < request.ArgumentCount; i++)
                    {
                        server.Output.Write(s_value);
                    }
                }
                else
                {
                    server.Output.Write(request.ArgumentEquals(0, "SET"u8) ? s_ok : s_value);
                }

                buffer = buffer.Slice(consumed);
            }

            server.Input.AdvanceTo(buffer.Start, buffer.End);
            await server.Output.FlushAsync();
            if (result.IsCompleted)
            {
                return;
            }
        }
    }
}

/// <summary>Two connected duplex pipes, as a socket's two ends.</summary>
internal static class DuplexPipePair
{
    public static (IDuplexPipe A, IDuplexPipe B) Create()
    {
        var options = new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, useSynchronizationContext: false);
        var aToB = new Pipe(options);
        var bToA = new Pipe(options);
        return (new Duplex(bToA.Reader, aToB.Writer), new Duplex(aToB.Reader, bToA.Writer));
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
