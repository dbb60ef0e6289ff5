using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RespProxy.Hosting;

namespace RespProxy.IntegrationTests.Infrastructure;

/// <summary>
/// The proxy running in the test process, built exactly as the executable builds it, listening on free loopback
/// ports (port 0) in front of the given backend.
/// </summary>
public sealed class ProxyTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ProxyTestHost(WebApplication app)
    {
        _app = app;
        var endpoints = app.Services.GetRequiredService<ProxyEndpoints>();
        EndPoint = endpoints.RespEndPoint;
        AdminEndPoint = endpoints.AdminEndPoint;
    }

    public IPEndPoint EndPoint { get; }

    public string Host => EndPoint.Address.ToString();

    public int Port => EndPoint.Port;

    public IPEndPoint AdminEndPoint { get; }

    /// <summary>Starts a standalone proxy in front of <paramref name="backend"/> ("host:port"); extra args as --Key=value.</summary>
    public static Task<ProxyTestHost> StartStandaloneAsync(string backend, params string[] extraArgs) =>
        StartStandaloneAsync(backend, configureServices: null, extraArgs);

    /// <summary>As above, with <paramref name="configureServices"/> replacing some of the proxy's services.</summary>
    public static async Task<ProxyTestHost> StartStandaloneAsync(string backend, Action<IServiceCollection>? configureServices, params string[] extraArgs)
    {
        string[] args =
        [
            "--Proxy:Listen=127.0.0.1:0",
            "--Proxy:AdminListen=127.0.0.1:0",
            "--Topology:Mode=Standalone",
            $"--Topology:Servers:0={backend}",
            "--Logging:LogLevel:Default=Warning",
            .. extraArgs,
        ];
        var app = ProxyHost.Build(args, configureServices);
        await app.StartAsync();
        return new ProxyTestHost(app);
    }

    /// <summary>
    /// Starts a sentinel-mode proxy: <paramref name="sentinels"/> is "host:port,host:port", <paramref name="groups"/>
    /// the sentinel master names with their slot ranges; extra args as --Key=value (e.g. --Topology:ReadPolicy=Replica).
    /// </summary>
    public static async Task<ProxyTestHost> StartSentinelAsync(string sentinels, IReadOnlyList<(string Name, string Slots)> groups, params string[] extraArgs)
    {
        var args = new List<string>
        {
            "--Proxy:Listen=127.0.0.1:0",
            "--Proxy:AdminListen=127.0.0.1:0",
            "--Proxy:DataCenter=dc1",
            "--Topology:Mode=Sentinel",
            $"--Topology:Sentinels:0={sentinels}",
            "--Topology:DataCenters:dc1:0=127.0.1.0/24",
            "--Topology:DataCenters:dc2:0=127.0.2.0/24",
            "--Logging:LogLevel:Default=Warning",
        };
        for (int i = 0; i < groups.Count; i++)
        {
            args.Add($"--Topology:Groups:{i}:Name={groups[i].Name}");
            args.Add($"--Topology:Groups:{i}:Slots={groups[i].Slots}");
        }

        args.AddRange(extraArgs);
        var app = ProxyHost.Build([.. args]);
        await app.StartAsync();
        return new ProxyTestHost(app);
    }

    /// <summary>The proxy's service provider, for tests that look at the topology it publishes.</summary>
    public IServiceProvider Services => _app.Services;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
