namespace RespProxy.LoadTests;

/// <summary>
/// How many requests each connection has handed to the socket (published before the send). A value read back
/// whose writer sequence number is not below this count names a write that never happened.
/// </summary>
public sealed class SentLog
{
    private const int Stride = 8;   // one cache line per connection
    private readonly long[] _sent;

    public SentLog(int connections)
    {
        Connections = connections;
        _sent = new long[connections * Stride];
    }

    public int Connections { get; }

    public void Publish(int conn, long sentCount) => Volatile.Write(ref _sent[conn * Stride], sentCount);

    public long SentCount(int conn) => Volatile.Read(ref _sent[conn * Stride]);
}
