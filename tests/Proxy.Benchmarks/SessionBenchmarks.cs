using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RespProxy.Backends;
using RespProxy.Connections;
using RespProxy.Hosting;
using RespProxy.Resp.Framing;
using RespProxy.Routing;
using RespProxy.Topology.Config;
using RespProxy.Topology.Model;

namespace RespProxy.Benchmarks;

/// <summary>
/// One client session end to end, in memory: pipelined requests written into the client's pipe go through parsing,
/// routing, the shared backend connection, the in-memory backend, reply matching and ordering, and come back out of
/// the client's pipe. Allocated bytes per operation are per forwarded request. "MGET split" sends 10-key MGETs over two
/// presharded groups: each is split into one MGET per group and the replies are merged back in key order.
/// </summary>
[MemoryDiagnoser]
public class SessionBenchmarks
{
    private const int Pipeline = 16;

    private ServiceProvider _services = null!;
    private IDuplexPipe _client = null!;
    private byte[] _requests = [];
    private Task _session = Task.CompletedTask;

    [Params("SET", "GET", "MGET split")]
    public string Command { get; set; } = "SET";

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddOptions<ProxyOptions>();
        services.AddOptions<BackendOptions>().Configure(o => o.ConnectionsPerServer = 1);
        services.AddOptions<TopologyOptions>().Configure(o => o.Servers = ["127.0.0.1:6379"]);
        services.AddSingleton(new TopologyHolder(Command == "MGET split" ? TwoGroups() : StandaloneTopologyFactory.Create(new TopologyOptions { Servers = ["127.0.0.1:6379"] }, 1)));
        services.AddSingleton<IBackendConnector, InMemoryBackend>();
        services.AddSingleton<BackendPool>();
        services.AddSingleton<BackendRouter>();
        services.AddSingleton<ProxyRuntime>();
        _services = services.BuildServiceProvider();
        var runtime = _services.GetRequiredService<ProxyRuntime>();
        foreach (var group in runtime.Router.Current.Groups)
        {
            SpinWait.SpinUntil(() => group.Master!.GetConnection(0) is not null, TimeSpan.FromSeconds(10));
        }

        var (proxySide, clientSide) = DuplexPipePair.Create();
        _client = clientSide;
        var frame = Command switch
        {
            "SET" => "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$3\r\nxyz\r\n",
            "GET" => "*2\r\n$3\r\nGET\r\n$16\r\nkey:000000012345\r\n",
            _ => "*11\r\n$4\r\nMGET\r\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"$5\r\nkey:{i}\r\n")),
        };
        _requests = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(frame, Pipeline)));
        _session = new ClientSession(new DefaultConnectionContext("bench", proxySide, clientSide), runtime).RunAsync();
    }

    // Slots 0-8191 on one in-memory server, 8192-16383 on another: key:0 ... key:9 land on both.
    private static TopologySnapshot TwoGroups()
    {
        static ShardGroup Group(int port, int first, int last)
        {
            var endpoint = new ServerEndpoint("127.0.0.1", port);
            return new ShardGroup($"g{port}", new ServerNode(endpoint, ServerRole.Master, DataCenter: null), [], [new SlotRange(first, last)]);
        }

        return new TopologySnapshot(1, TopologyMode.Sentinel, [Group(6379, 0, 8191), Group(6380, 8192, SlotRange.SlotCount - 1)]);
    }

    // A pooled ValueTask builder, so the benchmark's own async state machine allocates nothing and what the
    // MemoryDiagnoser reports is the proxy's.
    [Benchmark(OperationsPerInvoke = Pipeline)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> PipelinedRoundTrip()
    {
        _client.Output.Write(_requests);
        await _client.Output.FlushAsync();
        int replies = 0;
        var scanner = default(RespFrameScanner);
        while (replies < Pipeline)
        {
            var result = await _client.Input.ReadAsync();
            var buffer = result.Buffer;
            while (replies < Pipeline && scanner.TryScan(buffer, out long length) == ScanResult.Complete)
            {
                buffer = buffer.Slice(length);
                replies++;
            }

            _client.Input.AdvanceTo(buffer.Start, buffer.End);
        }

        return replies;
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _client.Output.CompleteAsync();
        await _session;
        await _services.DisposeAsync();
    }
}
