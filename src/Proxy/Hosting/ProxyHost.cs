using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RespProxy.Backends;
using RespProxy.Connections;
using RespProxy.Routing;
using RespProxy.Topology.Config;
using RespProxy.Topology.Model;
using RespProxy.Topology.Sentinel;
using RespProxy.Transport;

namespace RespProxy.Hosting;

/// <summary>
/// Builds the proxy host: configuration (JSON file from --config, then command-line overrides), the RESP listener
/// (a Kestrel connection handler) and the admin HTTP listener. Tests build it the same way with port 0.
/// </summary>
public static class ProxyHost
{
    /// <param name="args">Command-line arguments (--Section:Key=value, --config FILE).</param>
    /// <param name="configureServices">Runs after the proxy's own registrations, so tests can replace one of them.</param>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        string? configFile = FindConfigFile(args);
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);

            // Command-line keys (--Section:Key=value) win over the file.
            builder.Configuration.AddCommandLine(args);
        }

        var proxyOptions = builder.Configuration.GetSection(ProxyOptions.SectionName).Get<ProxyOptions>() ?? new ProxyOptions();
        var topologyOptions = builder.Configuration.GetSection(TopologyOptions.SectionName).Get<TopologyOptions>() ?? new TopologyOptions();
        NormalizeAddressLists(topologyOptions);
        var errors = TopologyOptionsValidator.Validate(topologyOptions).Concat(ProxyOptionsValidator.Validate(proxyOptions)).ToList();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException("RespProxy", typeof(ProxyOptions), errors);
        }

        builder.Services.Configure<ProxyOptions>(builder.Configuration.GetSection(ProxyOptions.SectionName));
        builder.Services.Configure<BackendOptions>(builder.Configuration.GetSection(BackendOptions.SectionName));
        builder.Services.Configure<TopologyOptions>(builder.Configuration.GetSection(TopologyOptions.SectionName));
        builder.Services.PostConfigure<TopologyOptions>(NormalizeAddressLists);
        if (topologyOptions.Mode == TopologyMode.Sentinel)
        {
            builder.Services.AddSingleton(new TopologyHolder(SentinelWatcher.CreateInitialSnapshot(topologyOptions)));
            builder.Services.AddSingleton<SentinelTopologyService>();
            builder.Services.AddHostedService(services => services.GetRequiredService<SentinelTopologyService>());
        }
        else
        {
            builder.Services.AddSingleton(new TopologyHolder(StandaloneTopologyFactory.Create(topologyOptions, version: 1)));
        }

        bool useEpoll = UsesEpoll(proxyOptions.Transport);
        if (useEpoll)
        {
            builder.Services.AddSingleton<EpollTransport>();
        }

        // INFO reports the transport in use, not "Auto".
        builder.Services.PostConfigure<ProxyOptions>(options => options.Transport = useEpoll ? ProxyTransport.Epoll : ProxyTransport.Sockets);

        builder.Services.AddSingleton<IBackendConnector, SocketBackendConnector>();
        builder.Services.AddSingleton<BackendPool>();
        builder.Services.AddSingleton<BackendRouter>();
        builder.Services.AddSingleton<ProxyRuntime>();
        builder.Services.AddHostedService<BackendWarmup>();
        var endpoints = new ProxyEndpoints();
        builder.Services.AddSingleton(endpoints);

        builder.WebHost.UseSockets(sockets =>
        {
            // Requests are parsed only once complete; the parser enforces Redis's size limits instead of the
            // transport's 1 MB pause threshold, which would stall a large SET forever.
            sockets.MaxReadBufferSize = null;

            // Session code never blocks, so running it on the socket's I/O thread saves a thread-pool hop per read
            // (measured in docs/BENCHMARKS.md).
            sockets.UnsafePreferInlineScheduling = true;

            // A receive straight into a buffer instead of a zero-byte "wait for data" receive first: one syscall
            // per read instead of two, for about 4 KB of buffer held by each idle client (docs/BENCHMARKS.md).
            sockets.WaitForDataBeforeAllocatingBuffer = false;
        });
        if (useEpoll)
        {
            // Registered after the socket transport, so Kestrel asks it first; it binds only the RESP endpoint.
            builder.Services.AddSingleton<IConnectionListenerFactory>(services => services.GetRequiredService<EpollTransport>());
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var respEndPoint = ParseListen(proxyOptions.Listen, "Proxy:Listen");
            kestrel.Listen(useEpoll ? new RespListenEndPoint(respEndPoint.Address, respEndPoint.Port) : respEndPoint, listen =>
            {
                listen.UseConnectionHandler<RespConnectionHandler>();
                endpoints.Resp = listen;
            });
            kestrel.Listen(ParseListen(proxyOptions.AdminListen, "Proxy:AdminListen"), listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                endpoints.Admin = listen;
            });
        });

        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        return app;
    }

    private static bool UsesEpoll(ProxyTransport transport) => transport switch
    {
        ProxyTransport.Sockets => false,
        ProxyTransport.Epoll when !LinuxSockets.IsSupported => throw new OptionsValidationException(
            "Proxy:Transport", typeof(ProxyOptions), ["Proxy:Transport Epoll needs Linux on x86-64; use Auto or Sockets."]),
        _ => LinuxSockets.IsSupported,
    };

    // "a:1,b:2" in one entry is as good as two entries: handy on a command line (--Topology:Sentinels:0=a:1,b:2).
    private static void NormalizeAddressLists(TopologyOptions options)
    {
        options.Sentinels = [.. options.Sentinels.SelectMany(entry => entry.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
        options.Servers = [.. options.Servers.SelectMany(entry => entry.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
    }

    private static string? FindConfigFile(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return args[i]["--config=".Length..];
            }
        }

        return null;
    }

    private static IPEndPoint ParseListen(string text, string key)
    {
        if (!ServerEndpoint.TryParse(text, out var endpoint) || endpoint.Address is null)
        {
            throw new OptionsValidationException(key, typeof(ProxyOptions), [$"{key} '{text}' is not an ip:port address."]);
        }

        return new IPEndPoint(endpoint.Address, endpoint.Port);
    }
}
