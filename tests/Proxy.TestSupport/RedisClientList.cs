using System.Globalization;

namespace RespProxy.TestSupport;

/// <summary>Redis's CLIENT LIST reply read line by line: each connection's id with its whole line.</summary>
public static class RedisClientList
{
    /// <summary>Each connection in <paramref name="clientList"/> (one "id=N addr=... cmd=..." line each).</summary>
    public static IEnumerable<(long Id, string Line)> Parse(string clientList) =>
        clientList.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => (long.Parse(line[IdPrefix.Length..line.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture), line));

    private const string IdPrefix = "id=";
}
