using RespProxy.Backends;

namespace RespProxy.Routing;

/// <summary>Servers that share one read priority; load is spread over them by weight, skipping ones that are down.</summary>
internal sealed class ReadTier
{
    private readonly BackendServer[] _servers;
    private readonly int[] _cumulativeWeights;

    public ReadTier(int priority, IReadOnlyList<(BackendServer Server, int Weight)> members)
    {
        Priority = priority;
        _servers = new BackendServer[members.Count];
        _cumulativeWeights = new int[members.Count];
        int total = 0;
        for (int i = 0; i < members.Count; i++)
        {
            _servers[i] = members[i].Server;
            total += Math.Max(1, members[i].Weight);
            _cumulativeWeights[i] = total;
        }
    }

    public int Priority { get; }

    public IReadOnlyList<BackendServer> Servers => _servers;

    /// <summary>A live connection of a readable server, chosen by weight from <paramref name="spin"/>; null when none.</summary>
    public BackendConnection? Pick(uint spin, long affinity)
    {
        var servers = _servers;
        int total = _cumulativeWeights[^1];
        int target = (int)(spin % (uint)total);
        int start = 0;
        while (_cumulativeWeights[start] <= target)
        {
            start++;
        }

        for (int i = 0; i < servers.Length; i++)
        {
            var server = servers[(start + i) % servers.Length];
            if (!server.IsReadable)
            {
                continue;
            }

            var connection = server.GetConnection(affinity);
            if (connection is not null)
            {
                return connection;
            }
        }

        return null;
    }
}
