using System.Diagnostics;
using RespProxy.TestSupport;

namespace RespProxy.IntegrationTests.Sentinel;

internal static class Failover
{
    /// <summary>
    /// SIGKILLs the group's current master between two requests of each writer, once every replica has applied all the
    /// master acknowledged, and lets the writers go on only after the proxy saw its connections to the master drop.
    /// A request in flight at the kill, or racing the connection's FIN, may or may not have run, so the proxy rightly
    /// answers it with an error; this keeps such requests out of tests that require every write to succeed. Returns the
    /// Stopwatch timestamp of the kill.
    /// </summary>
    public static async Task<long> KillMasterBetweenWritesAsync(
        SentinelTopology topology, RedisServerProcess master, SentinelProxy proxy, params IPausableClient[] writers)
    {
        var paused = new List<IPausableClient>();
        try
        {
            foreach (var writer in writers)
            {
                await writer.PauseAsync();
                paused.Add(writer);
            }

            await ServerStats.WaitForReplicasToCatchUpAsync(master, topology.Servers.Where(s => s != master && s.IsRunning));
            long killedAt = Stopwatch.GetTimestamp();
            await master.KillAsync();
            await proxy.WaitForNoConnectionsAsync(master.EndPoint, TimeSpan.FromSeconds(10));
            return killedAt;
        }
        finally
        {
            foreach (var writer in paused)
            {
                writer.Resume();
            }
        }
    }
}

/// <summary>A test client that can be held between two requests, with none in flight.</summary>
internal interface IPausableClient
{
    /// <summary>Returns once nothing is in flight; sends nothing until <see cref="Resume"/>.</summary>
    Task PauseAsync();

    void Resume();
}
