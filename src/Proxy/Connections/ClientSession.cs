using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using RespProxy.Backends;
using RespProxy.Hosting;
using RespProxy.Resp.Parsing;
using RespProxy.Transport;

namespace RespProxy.Connections;

/// <summary>
/// One client connection: reads and parses its requests, answers the ones the proxy owns, forwards the rest to
/// backend connections shared by all clients, and writes replies back in request order (see the Output part).
/// </summary>
internal sealed partial class ClientSession
{
    private static long s_lastId;

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly IReceivePauseFeature? _receivePause;
    private readonly ProxyRuntime _runtime;
    private readonly RequestParser _parser;
    private readonly List<BackendConnection> _touched = new(2);
    private readonly int _pendingLimit;
    private readonly long _maxQueryBuffer;
    private SemaphoreSlim? _progress;
    private int _waitingForProgress;
    private int _closed;
    private int _closeRequested;
    private uint _readSpin;
    private StickyConnections _stickyConnections;

    public ClientSession(ConnectionContext connection, ProxyRuntime runtime)
    {
        _input = connection.Transport.Input;
        _output = connection.Transport.Output;
        _receivePause = connection.Features.Get<IReceivePauseFeature>();
        _directSend = new DirectSendGate(connection.Features.Get<IDirectSendFeature>());
        _runtime = runtime;
        _parser = new RequestParser(runtime.Limits);
        _pendingLimit = runtime.Options.MaxPendingRequestsPerClient;
        _maxQueryBuffer = runtime.Options.MaxQueryBufferBytes;
        Id = Interlocked.Increment(ref s_lastId);
        RemoteEndPoint = connection.RemoteEndPoint?.ToString() ?? "";
        _head = new PendingReply();
        _head.MarkDone();
        _tail = _head;
    }

    public long Id { get; }

    public string RemoteEndPoint { get; }

    /// <summary>CLIENT SETNAME; null when unset.</summary>
    public string? Name { get; set; }

    /// <summary>CLIENT SETINFO lib-name / lib-ver.</summary>
    public string? LibraryName { get; set; }

    public string? LibraryVersion { get; set; }

    public async Task RunAsync()
    {
        // The epoll transport accepts a client with reading paused, so nothing piles up before this loop runs.
        _receivePause?.ResumeReceiving();
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync();
                var buffer = result.Buffer;
                var outcome = ProcessRequests(ref buffer);
                if (outcome == BatchOutcome.Backpressure)
                {
                    // Complete frames are still buffered: examined stops at them so the next read returns at once.
                    _input.AdvanceTo(buffer.Start, buffer.Start);
                }
                else
                {
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }

                SubmitBatch();
                if (outcome == BatchOutcome.Close)
                {
                    break;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    // The client stopped sending; answers still owed are written before the connection closes.
                    break;
                }

                if (PendingCount >= _pendingLimit)
                {
                    await WaitForRepliesToDrainAsync();
                    if (Volatile.Read(ref _closeRequested) != 0)
                    {
                        break;
                    }
                }
            }

            await WaitUntilAnsweredAsync();
        }
        catch (Exception ex) when (ex is ConnectionResetException or IOException or OperationCanceledException)
        {
            Log.ClientConnectionFailed(_runtime.Logger, Id, ex.Message);
        }
        finally
        {
            await RetireOutputAsync();
        }
    }

    private enum BatchOutcome : byte
    {
        NeedMoreData,
        Backpressure,
        Close,
    }

    private BatchOutcome ProcessRequests(ref ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            if (PendingCount >= _pendingLimit)
            {
                return BatchOutcome.Backpressure;
            }

            var status = _parser.TryParse(buffer, out long consumed);
            switch (status)
            {
                case RequestParseResult.Request:
                    buffer = buffer.Slice(consumed);
                    if (!Dispatch(_parser.Request))
                    {
                        return BatchOutcome.Close;
                    }

                    break;
                case RequestParseResult.Skipped:
                    buffer = buffer.Slice(consumed);
                    break;
                case RequestParseResult.Error:
                    ReplyAndClose(_parser.Error, _parser.ErrorByte);
                    return BatchOutcome.Close;
                default:
                    if (buffer.Length > _maxQueryBuffer)
                    {
                        // Redis closes such a client without a reply ("reached max query buffer length").
                        Log.QueryBufferExceeded(_runtime.Logger, Id, buffer.Length);
                        Volatile.Write(ref _closeRequested, 1);
                        return BatchOutcome.Close;
                    }

                    return BatchOutcome.NeedMoreData;
            }
        }
    }

    private void ReplyAndClose(ProtocolError error, byte offendingByte)
    {
        var slot = RentSlot();
        ProtocolErrors.Write(slot.Reply, error, offendingByte);
        slot.CloseAfter = true;
        slot.MarkDone();
        Append(slot);
        if (_runtime.Logger.IsEnabled(LogLevel.Debug))
        {
            Log.ProtocolError(_runtime.Logger, Id, ProtocolErrors.Describe(error, offendingByte));
        }
    }

    // Sends what this batch queued on backend connections (one flush each) and writes replies already known.
    private void SubmitBatch()
    {
        foreach (var connection in _touched)
        {
            connection.Send();
        }

        _touched.Clear();
        TryWriteReplies();
    }

    private void Touch(BackendConnection connection)
    {
        // Nearly always the one connection of the previous request: checked first, before a scan.
        var touched = _touched;
        if ((touched.Count == 0 || !ReferenceEquals(touched[^1], connection)) && !touched.Contains(connection))
        {
            touched.Add(connection);
        }
    }

    // The client is MaxPendingRequestsPerClient replies ahead. Its input must stay bounded meanwhile: a transport
    // that can stop reading does (TCP flow control then holds the client back); otherwise what it buffers counts
    // against the query buffer limit, as unprocessed input does in Redis.
    private async ValueTask WaitForRepliesToDrainAsync()
    {
        _receivePause?.PauseReceiving();
        try
        {
            while (PendingCount >= _pendingLimit && Volatile.Read(ref _closeRequested) == 0)
            {
                await WaitForProgressAsync(static session => session.PendingCount >= session._pendingLimit);
                if (_receivePause is null && _input.TryRead(out var buffered))
                {
                    long length = buffered.Buffer.Length;
                    _input.AdvanceTo(buffered.Buffer.Start, buffered.Buffer.Start);
                    if (length > _maxQueryBuffer)
                    {
                        Log.QueryBufferExceeded(_runtime.Logger, Id, length);
                        Volatile.Write(ref _closeRequested, 1);
                    }
                }
            }
        }
        finally
        {
            _receivePause?.ResumeReceiving();
        }
    }

    private async ValueTask WaitUntilAnsweredAsync()
    {
        while (PendingCount > 0 && Volatile.Read(ref _closeRequested) == 0)
        {
            await WaitForProgressAsync(static session => session.PendingCount > 0);
        }
    }

    // Arms the signal before re-checking, so a writer that finishes in between is never missed; the timeout only
    // bounds how long a lost wake-up could cost, it is not what progress relies on.
    private async ValueTask WaitForProgressAsync(Func<ClientSession, bool> stillWaiting)
    {
        var progress = _progress ??= new SemaphoreSlim(0);
        Interlocked.Exchange(ref _waitingForProgress, 1);
        if (stillWaiting(this) && Volatile.Read(ref _closeRequested) == 0)
        {
            await progress.WaitAsync(_runtime.Options.ProgressCheckInterval);
        }
    }

    private void SignalProgress()
    {
        if (Interlocked.Exchange(ref _waitingForProgress, 0) == 1)
        {
            _progress?.Release();
        }
    }
}
