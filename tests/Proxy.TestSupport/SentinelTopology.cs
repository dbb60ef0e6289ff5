namespace RespProxy.TestSupport;

/// <summary>
/// A sentinel-managed group on loopback: one master, replicas on other 127.x addresses (standing for other hosts or
/// datacenters) and several sentinels, started and waited for until replication is online and every sentinel knows
/// every replica and every other sentinel (so a failover can reach quorum at once).
/// </summary>
public sealed class SentinelTopology : IAsyncDisposable
{
    private readonly List<RedisServerProcess> _servers;

    private readonly string[] _serverAuth;
    private readonly string[] _sentinelAuth;

    private SentinelTopology(string masterName, List<RedisServerProcess> servers, List<SentinelProcess> sentinels, string? serverPassword, string? sentinelPassword)
    {
        MasterName = masterName;
        _servers = servers;
        Sentinels = sentinels;
        _serverAuth = serverPassword is null ? [] : ["-a", serverPassword, "--no-auth-warning"];
        _sentinelAuth = sentinelPassword is null ? [] : ["-a", sentinelPassword, "--no-auth-warning"];
    }

    public string MasterName { get; }

    /// <summary>The server that was master at start (it may have been failed over since).</summary>
    public RedisServerProcess InitialMaster => _servers[0];

    public IReadOnlyList<RedisServerProcess> InitialReplicas => _servers.GetRange(1, _servers.Count - 1);

    public IReadOnlyList<RedisServerProcess> Servers => _servers;

    public IReadOnlyList<SentinelProcess> Sentinels { get; }

    /// <summary>"host:port,host:port,..." of the sentinels.</summary>
    public string SentinelList => string.Join(',', Sentinels.Select(s => s.EndPoint));

    public static async Task<SentinelTopology> StartAsync(
        string masterName = "mymaster",
        string masterHost = "127.0.1.1",
        IReadOnlyList<string>? replicaHosts = null,
        IReadOnlyList<string>? sentinelHosts = null,
        int downAfterMs = 1000,
        int failoverTimeoutMs = 5000,
        IEnumerable<string>? serverConfig = null,
        string? serverPassword = null,
        string? sentinelPassword = null)
    {
        replicaHosts ??= ["127.0.1.2", "127.0.2.1"];
        sentinelHosts ??= ["127.0.0.1", "127.0.0.1", "127.0.0.1"];
        // With passwords: servers require one (replicas use it towards their master), sentinels use it towards the
        // servers and require their own, which they also use among themselves.
        string[] serverAuthConfig = serverPassword is null ? [] : [$"requirepass {serverPassword}", $"masterauth {serverPassword}"];
        var extra = serverAuthConfig.Concat(serverConfig ?? []).ToArray();
        var sentinelConfig = new List<string>();
        if (serverPassword is not null)
        {
            sentinelConfig.Add($"sentinel auth-pass {masterName} {serverPassword}");
        }

        if (sentinelPassword is not null)
        {
            sentinelConfig.Add($"requirepass {sentinelPassword}");
            sentinelConfig.Add($"sentinel sentinel-pass {sentinelPassword}");
        }

        var servers = new List<RedisServerProcess>();
        var sentinels = new List<SentinelProcess>();
        try
        {
            var master = await RedisServerProcess.StartAsync(masterHost, extraConfig: extra).ConfigureAwait(false);
            servers.Add(master);
            foreach (var host in replicaHosts)
            {
                servers.Add(await RedisServerProcess.StartAsync(host, extraConfig: [.. extra, $"replicaof {master.Host} {master.Port}"]).ConfigureAwait(false));
            }

            var topology = new SentinelTopology(masterName, servers, sentinels, serverPassword, sentinelPassword);
            await topology.WaitForReplicationAsync(master, replicaHosts.Count).ConfigureAwait(false);
            foreach (var host in sentinelHosts)
            {
                sentinels.Add(await SentinelProcess.StartAsync(host, null, [(masterName, master.Host, master.Port)], quorum: 2, downAfterMs, failoverTimeoutMs, sentinelConfig).ConfigureAwait(false));
            }

            await Wait.UntilAsync(
                async () =>
                {
                    foreach (var sentinel in sentinels)
                    {
                        var replicas = await sentinel.CliAsync([.. topology._sentinelAuth, "SENTINEL", "REPLICAS", masterName]).ConfigureAwait(false);
                        var peers = await sentinel.CliAsync([.. topology._sentinelAuth, "SENTINEL", "SENTINELS", masterName]).ConfigureAwait(false);
                        if (CountOf(replicas.Stdout, "name") < replicaHosts.Count || CountOf(peers.Stdout, "name") < sentinels.Count - 1)
                        {
                            return false;
                        }
                    }

                    return true;
                },
                TimeSpan.FromSeconds(30),
                "every sentinel knows every replica and every other sentinel").ConfigureAwait(false);
            return topology;
        }
        catch
        {
            foreach (var process in sentinels)
            {
                await process.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var process in servers)
            {
                await process.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>The master as the first answering sentinel names it, "host:port".</summary>
    public async Task<string?> MasterFromSentinelsAsync()
    {
        foreach (var sentinel in Sentinels.Where(s => s.IsRunning))
        {
            var reply = await sentinel.CliAsync([.. _sentinelAuth, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MasterName]).ConfigureAwait(false);
            var lines = reply.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (reply.ExitCode == 0 && lines.Length == 2)
            {
                return $"{lines[0]}:{lines[1]}";
            }
        }

        return null;
    }

    public RedisServerProcess ServerAt(string endPoint) => _servers.Single(server => server.EndPoint == endPoint);

    /// <summary>Waits until <paramref name="master"/> has <paramref name="replicas"/> online replicas whose links are up.</summary>
    public async Task WaitForReplicationAsync(RedisServerProcess master, int replicas, TimeSpan? timeout = null)
    {
        await Wait.UntilAsync(
            async () =>
            {
                var info = RedisInfo.Parse((await master.CliAsync([.. _serverAuth, "INFO", "replication"]).ConfigureAwait(false)).Stdout);
                if (!info.TryGetValue("connected_slaves", out var count) || int.Parse(count, System.Globalization.CultureInfo.InvariantCulture) < replicas)
                {
                    return false;
                }

                foreach (var server in _servers.Where(s => s != master && s.IsRunning))
                {
                    var replicaInfo = RedisInfo.Parse((await server.CliAsync([.. _serverAuth, "INFO", "replication"]).ConfigureAwait(false)).Stdout);
                    if (replicaInfo.GetValueOrDefault("master_link_status") != "up")
                    {
                        return false;
                    }
                }

                return true;
            },
            timeout ?? TimeSpan.FromSeconds(30),
            $"{replicas} replicas online at {master.EndPoint}").ConfigureAwait(false);
    }

    private static int CountOf(string cliOutput, string word)
        => cliOutput.Split('\n').Count(line => line.Trim() == word);

    public async ValueTask DisposeAsync()
    {
        foreach (var sentinel in Sentinels)
        {
            await sentinel.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
