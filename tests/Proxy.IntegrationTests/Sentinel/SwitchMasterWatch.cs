using System.Collections.Concurrent;
using System.Diagnostics;
using RespProxy.TestSupport;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>
/// Test-side subscribers to "+switch-master" on sentinels (independent of the proxy's own subscriptions), recording
/// when each sentinel announced the switch. Every sentinel announces it once it learns of it, the leader first.
/// </summary>
internal sealed class SwitchMasterWatch : IAsyncDisposable
{
    private readonly ConcurrentQueue<Announcement> _announcements = new();
    private readonly List<RawRespClient> _clients = [];
    private readonly List<Task> _readers = [];
    private readonly string _masterName;

    private SwitchMasterWatch(string masterName) => _masterName = masterName;

    public static async Task<SwitchMasterWatch> StartAsync(IEnumerable<SentinelProcess> sentinels, string masterName)
    {
        var watch = new SwitchMasterWatch(masterName);
        try
        {
            foreach (var sentinel in sentinels)
            {
                // Long deadline: the reader waits for a message that may take many seconds to come.
                var client = await sentinel.ConnectAsync(TimeSpan.FromMinutes(5));
                watch._clients.Add(client);
                var confirmation = await client.CommandAsync("SUBSCRIBE", "+switch-master");
                if (confirmation.Items is not [{ Text: "subscribe" }, ..])
                {
                    throw new InvalidOperationException($"SUBSCRIBE +switch-master on {sentinel} answered {confirmation}");
                }

                watch._readers.Add(Task.Run(() => watch.ReadAsync(sentinel.EndPoint, client)));
            }
        }
        catch
        {
            await watch.DisposeAsync();
            throw;
        }

        return watch;
    }

    public IReadOnlyList<Announcement> Announcements => [.. _announcements];

    /// <summary>The earliest announcement for this master name, or null.</summary>
    public Announcement? First => Announcements.Where(a => a.MasterName == _masterName).MinBy(a => a.At);

    private async Task ReadAsync(string sentinel, RawRespClient client)
    {
        while (true)
        {
            RespValue message;
            try
            {
                message = await client.ReadAsync();
            }
            catch (Exception ex) when (ex is IOException or EndOfStreamException or TimeoutException or ObjectDisposedException or OperationCanceledException)
            {
                return; // disposed, or the sentinel was killed
            }

            long at = Stopwatch.GetTimestamp();
            if (message.Items is [{ Text: "message" }, { Text: "+switch-master" }, { Text: { } payload }])
            {
                // "<master name> <old ip> <old port> <new ip> <new port>"
                var words = payload.Split(' ');
                _announcements.Enqueue(new Announcement(sentinel, at, words[0], words.Length >= 5 ? $"{words[3]}:{words[4]}" : payload));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await Task.WhenAll(_readers).WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>One sentinel's +switch-master: when it arrived (Stopwatch timestamp) and the new master "host:port".</summary>
    public sealed record Announcement(string Sentinel, long At, string MasterName, string NewMaster);
}
