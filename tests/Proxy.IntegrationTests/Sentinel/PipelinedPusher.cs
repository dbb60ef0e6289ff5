using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using RespProxy.TestSupport;

namespace RespProxy.IntegrationTests.Sentinel;

/// <summary>
/// A pipelining client: RPUSHes 1, 2, 3, ... to its own list in small batches without waiting for replies, while a
/// second task reads the replies. RPUSH answers the list's new length, so when every request runs once and in the
/// order sent, each successful reply is the previous successful reply plus one and the list reads 1, 2, 3, ...
/// </summary>
internal sealed class PipelinedPusher : IAsyncDisposable, IPausableClient
{
    private const int BatchSize = 5;

    private readonly RawRespClient _client;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private Task _sender = Task.CompletedTask;
    private Task _reader = Task.CompletedTask;
    private long _sent;
    private long _replied;
    private long _lastLength;
    private long _ok;

    private PipelinedPusher(RawRespClient client, string key)
    {
        _client = client;
        Key = key;
    }

    public string Key { get; }

    public long Sent => Interlocked.Read(ref _sent);

    public long Replied => Interlocked.Read(ref _replied);

    public long Acknowledged => Interlocked.Read(ref _ok);

    /// <summary>The list length the last successful RPUSH reported.</summary>
    public long LastLength => Interlocked.Read(ref _lastLength);

    public IReadOnlyList<string> Problems => [.. _problems];

    public bool Broken => _sender.IsFaulted || _reader.IsFaulted;

    public static async Task<PipelinedPusher> StartAsync(SentinelProxy proxy, string key)
    {
        var client = await proxy.ConnectAsync(TrafficLoop.DefaultReplyDeadline);
        var pusher = new PipelinedPusher(client, key);
        pusher._sender = Task.Run(pusher.SendAsync);
        pusher._reader = Task.Run(pusher.ReadAsync);
        return pusher;
    }

    /// <summary>Stops sending and waits until every request sent so far is answered.</summary>
    public async Task PauseAsync()
    {
        if (!await _sendGate.WaitAsync(TrafficLoop.DefaultReplyDeadline))
        {
            throw new TimeoutException("The pusher's sender did not pause.");
        }

        await Wait.UntilAsync(() => Replied == Sent || Broken, TrafficLoop.DefaultReplyDeadline, $"every RPUSH to {Key} to be answered");
    }

    public void Resume() => _sendGate.Release();

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _sender.WaitAsync(TrafficLoop.DefaultReplyDeadline);
        await Wait.UntilAsync(() => Replied == Sent || Broken, TrafficLoop.DefaultReplyDeadline * 2, $"every RPUSH to {Key} to be answered");
    }

    public string Describe() =>
        $"pusher {Key}: sent {Sent}, replied {Replied}, ok {Acknowledged}, last length {LastLength}, sender {_sender.Status}, reader {_reader.Status}" +
        (_problems.IsEmpty ? "" : Environment.NewLine + string.Join(Environment.NewLine, _problems.Take(10)));

    private async Task SendAsync()
    {
        long next = 1;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _sendGate.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                var batch = new StringBuilder();
                for (int i = 0; i < BatchSize; i++, next++)
                {
                    var value = next.ToString(CultureInfo.InvariantCulture);
                    batch.Append(CultureInfo.InvariantCulture, $"*3\r\n$5\r\nRPUSH\r\n${Key.Length}\r\n{Key}\r\n${value.Length}\r\n{value}\r\n");
                }

                // Counted before sending: the reader may see the replies before SendRawAsync returns.
                Interlocked.Add(ref _sent, BatchSize);
                await _client.SendRawAsync(batch.ToString());
            }
            finally
            {
                _sendGate.Release();
            }

            try
            {
                await Task.Delay(1, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ReadAsync()
    {
        long request = 0;
        while (true)
        {
            RespValue reply;
            try
            {
                reply = await _client.ReadAsync();
            }
            catch (Exception ex) when (ex is ObjectDisposedException or IOException or SocketException && _stop.IsCancellationRequested)
            {
                return;
            }

            request++;
            if (reply.IsError)
            {
                _problems.Enqueue($"RPUSH #{request} answered {reply}");
            }
            else if (reply.Type != ':' || reply.Integer != LastLength + 1)
            {
                _problems.Enqueue($"RPUSH #{request} answered {reply}, expected :{LastLength + 1}: it ran out of order, twice, or after a lost one");
                Interlocked.Exchange(ref _lastLength, reply.Integer);
            }
            else
            {
                Interlocked.Exchange(ref _lastLength, reply.Integer);
                Interlocked.Increment(ref _ok);
            }

            Interlocked.Increment(ref _replied);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _client.DisposeAsync();
        try
        {
            await Task.WhenAll(_sender, _reader).WaitAsync(TrafficLoop.DefaultReplyDeadline);
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or ObjectDisposedException or EndOfStreamException)
        {
            // Cleanup only: the test has already asserted what it needed.
        }

        _stop.Dispose();
    }
}
