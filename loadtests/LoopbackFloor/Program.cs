using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

// What the kernel alone charges a proxy per request at pipeline 1 on this machine: the proxy receives each request
// from its client socket and sends each reply to its client socket, and on loopback the sender also runs the
// receiving side's TCP input (softirq in the sending context). One thread here plays both ends of one loopback
// connection: a request-sized send and receive one way, a reply-sized send and receive back. Half of that is the one
// receive and one send a proxy makes per request, before any of its own work and before its share of the backend's
// batched sends and receives. Blocking sockets, no epoll: the floor, not a model of any proxy.
//
// Usage: LoopbackFloor [--requests N] [--request-bytes B] [--reply-bytes B] [--rounds R]
int requests = 300_000, requestBytes = 38, replyBytes = 9, rounds = 3;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--requests": requests = value; break;
        case "--request-bytes": requestBytes = value; break;
        case "--reply-bytes": replyBytes = value; break;
        case "--rounds": rounds = value; break;
        default: throw new ArgumentException("unknown option " + args[i]);
    }
}

using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
listener.Listen(1);
using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
client.Connect(listener.LocalEndPoint!);
using var server = listener.Accept();
server.NoDelay = true;

var request = new byte[requestBytes];
var reply = new byte[replyBytes];
var buffer = new byte[Math.Max(requestBytes, replyBytes)];

Exchange(requests / 10); // warm-up: JIT, socket buffers
var process = Process.GetCurrentProcess();
Console.WriteLine($"{requests} exchanges of {requestBytes} B requests and {replyBytes} B replies over one loopback TCP connection, one thread");
for (int round = 1; round <= rounds; round++)
{
    process.Refresh();
    var cpuBefore = process.TotalProcessorTime;
    var userBefore = process.UserProcessorTime;
    long start = Stopwatch.GetTimestamp();
    Exchange(requests);
    var elapsed = Stopwatch.GetElapsedTime(start);
    process.Refresh();
    double cpuUs = (process.TotalProcessorTime - cpuBefore).TotalMicroseconds / requests / 2;
    double userUs = (process.UserProcessorTime - userBefore).TotalMicroseconds / requests / 2;
    Console.WriteLine(FormattableString.Invariant(
        $"round {round}: one receive + one send (a proxy's per-request floor at pipeline 1): {cpuUs:F2} us CPU ({userUs:F2} us user), {elapsed.TotalMicroseconds / requests / 2:F2} us wall"));
}

void Exchange(int count)
{
    for (int i = 0; i < count; i++)
    {
        client.Send(request);
        ReceiveExactly(server, requestBytes);
        server.Send(reply);
        ReceiveExactly(client, replyBytes);
    }
}

void ReceiveExactly(Socket socket, int bytes)
{
    for (int received = 0; received < bytes;)
    {
        received += socket.Receive(buffer, received, bytes - received, SocketFlags.None);
    }
}
