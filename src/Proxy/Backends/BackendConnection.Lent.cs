using Microsoft.AspNetCore.Connections;
using RespProxy.Transport;

namespace RespProxy.Backends;

// Sending a batch of requests lent from the clients' input (LentBatch), opened by TryWriteNow.
internal sealed partial class BackendConnection
{
    // A batch holding lent requests (TryWriteNow) takes what was queued since, and goes out by gathered sends straight
    // from the clients' blocks once the socket has taken everything flushed earlier (nothing goes into the pipe while
    // the batch holds requests). Returns true when the socket is full and the rest must wait for it; that wait stands
    // in for a flush's (_flushPending), so requests keep joining the batch meanwhile, behind it.
    private bool SendLentBatch(LentBatch lent, long now)
    {
        bool afterWait = _lentWaited;
        _lentWaited = false;
        var writes = new LentWrites(lent, _output);
        CountWritten(WriteQueued(ref writes, now, _server.AcceptsWrites, out _lastBatchBytes), now);
        writes.Commit();
        if (lent.IsEmpty)
        {
            // It outgrew its room and moved into the pipe.
            return false;
        }

        if (!IsAlive)
        {
            // Its requests were answered with the connection's error (FailQueued).
            lent.Clear();
            return false;
        }

        bool idle = _directSend.IfIdle(_output) is not null;
        long sent = idle ? _directSend.TrySend(lent.Parts) : 0;
        lent.Consume(sent);
        if (lent.IsEmpty)
        {
            return false;
        }

        if (!idle || (sent == 0 && afterWait))
        {
            // The pipe is not idle, or nothing was taken although the socket was reported writable (the connection is
            // failing): the pipe's flush and send loop take over, with their own handling of a failed connection.
            var rest = new GatheredWrites(_output);
            lent.MoveTo(ref rest);
            rest.Commit();
            return false;
        }

        _lentWaited = true;
        LentBatchWaits++;
        return true;
    }

    private async Task FinishLentSendAsync()
    {
        try
        {
            await _directSend.WaitWritableAsync();
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or OperationCanceledException)
        {
            Fail(ex.Message);
        }

        Volatile.Write(ref _flushPending, 0);
        SendNow();
    }
}
