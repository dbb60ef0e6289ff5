using System.Buffers;
using System.Globalization;
using System.Text;

namespace RespProxy.IntegrationTests.Standalone;

/// <summary>Many commands encoded back to back as multibulk, to be written to a socket in one go (a pipeline).</summary>
internal sealed class RespBatch
{
    private readonly ArrayBufferWriter<byte> _bytes = new();

    public int Count { get; private set; }

    public ReadOnlyMemory<byte> Bytes => _bytes.WrittenMemory;

    public RespBatch Add(params string[] arguments) => Add(arguments.Select(Encoding.UTF8.GetBytes).ToArray());

    public RespBatch Add(params byte[][] arguments)
    {
        Header('*', arguments.Length);
        foreach (var argument in arguments)
        {
            Header('$', argument.Length);
            _bytes.Write(argument);
            _bytes.Write("\r\n"u8);
        }

        Count++;
        return this;
    }

    private void Header(char type, int value) =>
        _bytes.Write(Encoding.ASCII.GetBytes(type + value.ToString(CultureInfo.InvariantCulture) + "\r\n"));
}
