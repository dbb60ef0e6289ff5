using System.Globalization;
using System.Net;
using RespProxy.Topology.Config;
using RespProxy.Topology.Model;

namespace RespProxy.Topology.Sentinel;

/// <summary>
/// Maps a server address to the datacenter it lives in, from config DataCenters (name -> CIDRs, IP addresses or host
/// names). The most specific entry wins: an exact address or host name beats any CIDR, a longer prefix beats a
/// shorter one; entries of equal specificity in two datacenters go to the name that sorts first (ordinal).
/// </summary>
public sealed class DataCenterMap
{
    private readonly List<Entry> _networks = [];
    private readonly Dictionary<string, string> _hostNames = new(StringComparer.OrdinalIgnoreCase);

    /// <exception cref="FormatException">An entry is neither a CIDR, an IP address nor a host name.</exception>
    public DataCenterMap(IReadOnlyDictionary<string, List<string>> dataCenters)
    {
        ArgumentNullException.ThrowIfNull(dataCenters);
        foreach (var (name, entries) in dataCenters.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            foreach (var raw in entries)
            {
                Add(name, raw.Trim());
            }
        }

        // Most specific first, so the first match is the answer.
        _networks.Sort((a, b) => b.PrefixLength.CompareTo(a.PrefixLength));
    }

    public static DataCenterMap Empty { get; } = new(new Dictionary<string, List<string>>());

    public static DataCenterMap FromOptions(TopologyOptions options) => new(options.DataCenters);

    public bool IsEmpty => _networks.Count == 0 && _hostNames.Count == 0;

    public string? Resolve(ServerEndpoint endpoint) => Resolve(endpoint.Host);

    /// <summary>The datacenter of <paramref name="host"/> (an IP literal or a host name), or null when no entry matches.</summary>
    public string? Resolve(string host)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            return Resolve(address);
        }

        return _hostNames.GetValueOrDefault(host);
    }

    public string? Resolve(IPAddress address)
    {
        var bytes = Normalize(address).GetAddressBytes();
        foreach (var entry in _networks)
        {
            if (entry.Matches(bytes))
            {
                return entry.DataCenter;
            }
        }

        return null;
    }

    private void Add(string dataCenter, string text)
    {
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? text : text[..slash];
        if (IPAddress.TryParse(addressText, out var address))
        {
            var bytes = Normalize(address).GetAddressBytes();
            int maxPrefix = bytes.Length * 8;
            int prefix = maxPrefix;
            if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > maxPrefix))
            {
                throw new FormatException($"DataCenters:{dataCenter} entry '{text}' has a prefix length outside 0-{maxPrefix}.");
            }

            _networks.Add(new Entry(dataCenter, bytes, prefix));
            return;
        }

        if (slash >= 0 || Uri.CheckHostName(text) != UriHostNameType.Dns)
        {
            throw new FormatException($"DataCenters:{dataCenter} entry '{text}' is not a CIDR, an IP address or a host name.");
        }

        _hostNames.TryAdd(text, dataCenter);
    }

    // "::ffff:10.0.0.1" is the IPv4 address 10.0.0.1 seen through a dual-stack socket.
    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private sealed record Entry(string DataCenter, byte[] Network, int PrefixLength)
    {
        public bool Matches(byte[] address)
        {
            if (address.Length != Network.Length)
            {
                return false;
            }

            int fullBytes = PrefixLength / 8;
            if (!address.AsSpan(0, fullBytes).SequenceEqual(Network.AsSpan(0, fullBytes)))
            {
                return false;
            }

            int remainingBits = PrefixLength % 8;
            if (remainingBits == 0)
            {
                return true;
            }

            int mask = (0xFF << (8 - remainingBits)) & 0xFF;
            return (address[fullBytes] & mask) == (Network[fullBytes] & mask);
        }
    }
}
