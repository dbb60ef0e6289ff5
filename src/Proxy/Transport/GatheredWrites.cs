using System.Buffers;
using System.IO.Pipelines;

namespace RespProxy.Transport;

/// <summary>
/// Copies many small frames (requests to a backend, replies to a client) into one span of a pipe and advances it
/// once, instead of a GetSpan/Advance pair of virtual calls per frame. Frames larger than <see cref="SmallFrame"/>
/// are written through on their own, so a large one never makes the pipe allocate an outsized segment.
/// Call <see cref="Commit"/> before flushing.
/// </summary>
internal ref struct GatheredWrites(PipeWriter writer) : IFrameWriter
{
    public const int SmallFrame = 4096;

    private readonly PipeWriter _writer = writer;
    private Span<byte> _free;
    private int _unadvanced;

    public void Write(ReadOnlySpan<byte> frame)
    {
        if (frame.Length > _free.Length)
        {
            Commit();
            if (frame.Length > SmallFrame)
            {
                _writer.Write(frame);
                return;
            }

            _free = _writer.GetSpan(SmallFrame);
        }

        frame.CopyTo(_free);
        _free = _free[frame.Length..];
        _unadvanced += frame.Length;
    }

    public void Commit()
    {
        if (_unadvanced > 0)
        {
            _writer.Advance(_unadvanced);
            _unadvanced = 0;
        }

        _free = default;
    }
}
