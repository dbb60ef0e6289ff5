using System.Diagnostics;
using System.Net.Sockets;

namespace RespProxy.LoadTests;

/// <summary>
/// One closed-loop connection: keeps up to <c>pipeline</c> requests in flight (sent as a batch once the previous
/// batch is answered, or with --window topped up after every read), checks every reply against its request and records latency. The loop allocates nothing per request:
/// requests are encoded into a fixed send buffer, replies are parsed in place, in-flight requests live in a ring.
/// </summary>
public sealed class ConnectionRunner
{
    private readonly int _id;
    private readonly Socket _socket;
    private readonly Workload _workload;
    private readonly RequestEncoder _encoder;
    private readonly ReplyVerifier _verifier;
    private readonly RunControl _control;
    private readonly SentLog _sent;
    private readonly MismatchLog _log;
    private readonly int _depth;
    private readonly long _injectEvery;
    private readonly bool _window;

    private readonly byte[] _sendBuf;
    private byte[] _recvBuf;
    private int _recvStart, _recvEnd;

    // ring of requests in flight
    private readonly OpKind[] _ringOp;
    private readonly long[] _ringSeq;
    private readonly long[] _ringTs;
    private readonly bool[] _ringMeasured;
    private int _head, _count;

    private readonly Reply[] _elements;
    private long _lastIncr;
    private long _replies;
    private bool _injectPending;
    private long _lastProgressTs;
    private int _aborted;
    private int _done;

    public ConnectionRunner(int id, Socket socket, Workload workload, RequestEncoder encoder, ReplyVerifier verifier,
        RunControl control, SentLog sent, MismatchLog log, ConnStats stats, int depth, bool window, long injectEvery, int maxReplyLength)
    {
        _id = id;
        _socket = socket;
        _workload = workload;
        _encoder = encoder;
        _verifier = verifier;
        _control = control;
        _sent = sent;
        _log = log;
        Stats = stats;
        _depth = depth;
        _injectEvery = injectEvery;
        _window = window;
        _sendBuf = new byte[depth * encoder.MaxRequestLength];
        _recvBuf = new byte[Math.Max(64 * 1024, 2 * depth * maxReplyLength)];
        _ringOp = new OpKind[depth];
        _ringSeq = new long[depth];
        _ringTs = new long[depth];
        _ringMeasured = new bool[depth];
        _elements = new Reply[Math.Max(1, workload.KeysPerMulti)];
        _lastIncr = verifier.InitialIncr;
    }

    public ConnStats Stats { get; }
    public string? Failure { get; private set; }
    public long LastMeasuredReplyTs { get; private set; }
    public int InFlight => Volatile.Read(ref _count);
    public long LastProgressTs => Volatile.Read(ref _lastProgressTs);

    public async Task RunAsync()
    {
        Volatile.Write(ref _lastProgressTs, Stopwatch.GetTimestamp());
        try
        {
            await LoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (Volatile.Read(ref _aborted) == 0)
            {
                Failure ??= $"conn {_id}: {ex.Message}";
            }
        }
        finally
        {
            Volatile.Write(ref _done, 1);
            _socket.Dispose();
        }
    }

    /// <summary>
    /// Stops this connection at once (stall, or hard cap after the drain time): closes the socket under a pending
    /// receive. <paramref name="reason"/> is reported as a failure; null stops it without one.
    /// </summary>
    public void Abort(string? reason)
    {
        if (Volatile.Read(ref _done) == 0 && Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            if (reason is not null)
            {
                Failure ??= $"conn {_id}: {reason}";
            }
            _socket.Dispose();
        }
    }

    private async Task LoopAsync()
    {
        long nextSeq = 0;
        while (true)
        {
            // batch mode (default, like redis-benchmark -P): send a full pipeline once all replies are in;
            // window mode: top the pipeline up again after every read.
            int free = _depth - _count;
            if (free > 0 && (_window || _count == 0))
            {
                int n = _control.Claim(free, out bool measured);
                if (n > 0)
                {
                    int len = 0;
                    int at = (_head + _count) % _depth;
                    for (int i = 0; i < n; i++)
                    {
                        OpKind op = _workload.OpAt(_id, nextSeq);
                        len += _encoder.Encode(op, nextSeq, _sendBuf.AsSpan(len));
                        _ringOp[at] = op;
                        _ringSeq[at] = nextSeq;
                        _ringMeasured[at] = measured;
                        at = at + 1 == _depth ? 0 : at + 1;
                        nextSeq++;
                    }
                    _sent.Publish(_id, nextSeq);   // before the send: a reader may see these writes from now on
                    long ts = Stopwatch.GetTimestamp();
                    for (int i = 0, j = (_head + _count) % _depth; i < n; i++, j = j + 1 == _depth ? 0 : j + 1)
                    {
                        _ringTs[j] = ts;
                    }
                    Volatile.Write(ref _count, _count + n);
                    Volatile.Write(ref _lastProgressTs, ts);
                    int off = 0;
                    while (off < len)
                    {
                        off += await _socket.SendAsync(_sendBuf.AsMemory(off, len - off), SocketFlags.None).ConfigureAwait(false);
                    }
                }
            }
            if (_count == 0)
            {
                return;   // nothing in flight and nothing more to send
            }
            if (_recvEnd == _recvBuf.Length)
            {
                MakeRoom();
            }
            int r = await _socket.ReceiveAsync(_recvBuf.AsMemory(_recvEnd), SocketFlags.None).ConfigureAwait(false);
            if (r <= 0)
            {
                throw new IOException($"connection closed by the server with {_count} requests in flight");
            }
            _recvEnd += r;
            long now = Stopwatch.GetTimestamp();
            Volatile.Write(ref _lastProgressTs, now);
            ProcessReplies(now);
        }
    }

    private void ProcessReplies(long now)
    {
        while (_count > 0)
        {
            Span<byte> span = _recvBuf.AsSpan(_recvStart, _recvEnd - _recvStart);
            int used = ReplyReader.TryRead(span, out Reply reply, _elements);
            if (used == ReplyReader.Incomplete)
            {
                break;
            }
            if (used < 0)
            {
                throw new InvalidDataException($"unparseable reply: \"{MismatchLog.Excerpt(span)}\"");
            }
            OpKind op = _ringOp[_head];
            long seq = _ringSeq[_head];
            _replies++;
            if (_injectEvery > 0 && (_injectPending || _replies % _injectEvery == 0))
            {
                _injectPending = !FaultInjector.Corrupt(span, ref reply, _elements, _replies);
                if (!_injectPending)
                {
                    Stats.Injected++;
                }
            }
            Verdict v = _verifier.Check(op, _id, seq, reply, _elements, span, ref _lastIncr, out int nils);
            Stats.Verdicts[(int)v]++;
            Stats.Nils += nils;
            if (v != Verdict.Ok && _log.Want())
            {
                _log.Add($"conn {_id} seq {seq} {OpNames.Name(op).ToUpperInvariant()} -> {VerdictNames.Name(v)}: " +
                         $"reply \"{MismatchLog.Excerpt(span[..used])}\"");
            }
            if (_ringMeasured[_head])
            {
                Stats.Record(op, now - _ringTs[_head]);
                LastMeasuredReplyTs = now;
            }
            Stats.CountReply();
            _recvStart += used;
            _head = _head + 1 == _depth ? 0 : _head + 1;
            Volatile.Write(ref _count, _count - 1);
        }
        if (_count == 0 && _recvStart < _recvEnd)
        {
            throw new InvalidDataException(
                $"data with no request in flight: \"{MismatchLog.Excerpt(_recvBuf.AsSpan(_recvStart, _recvEnd - _recvStart))}\"");
        }
        if (_recvStart == _recvEnd)
        {
            _recvStart = _recvEnd = 0;
        }
        else if (_recvBuf.Length - _recvEnd < 4096)
        {
            MakeRoom();
        }
    }

    /// <summary>Moves a partial reply to the front, or grows the buffer when one reply does not fit (rare).</summary>
    private void MakeRoom()
    {
        int pending = _recvEnd - _recvStart;
        if (_recvStart == 0 && pending == _recvBuf.Length)
        {
            Array.Resize(ref _recvBuf, _recvBuf.Length * 2);
            return;
        }
        _recvBuf.AsSpan(_recvStart, pending).CopyTo(_recvBuf);
        _recvStart = 0;
        _recvEnd = pending;
    }
}
