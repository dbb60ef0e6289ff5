using Xunit;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>
/// The sentinel failover tests run one at a time, after the parallel tests: each starts three redis-servers, three
/// sentinels and a proxy, and measures latencies that two busy cores running several failovers at once would distort.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SentinelCollection
{
    public const string Name = "Sentinel";
}
