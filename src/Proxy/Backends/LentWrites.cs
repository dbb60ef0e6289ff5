using System.Buffers;
using System.IO.Pipelines;
using RespProxy.Transport;

namespace RespProxy.Backends;

/// <summary>
/// Writes requests into a <see cref="LentBatch"/>, large ones by reference. When the batch runs out of room, it moves
/// into the pipe, and so does everything written after it: order is kept either way, only the copy comes back.
/// Call <see cref="Commit"/> before flushing.
/// </summary>
internal ref struct LentWrites(LentBatch batch, PipeWriter output) : IFrameWriter
{
    private GatheredWrites _piped = new(output);
    private bool _spilled;

    public void Write(ReadOnlySpan<byte> frame)
    {
        if (!_spilled && !batch.TryWrite(frame))
        {
            Spill();
        }

        if (_spilled)
        {
            _piped.Write(frame);
        }
    }

    /// <summary>Adds a large frame by reference; false when it was copied into the pipe instead.</summary>
    public bool Lend(in ReadOnlySequence<byte> frame)
    {
        if (!_spilled && batch.TryLend(frame))
        {
            return true;
        }

        if (!_spilled)
        {
            Spill();
        }

        foreach (var segment in frame)
        {
            _piped.Write(segment.Span);
        }

        return false;
    }

    public void Commit() => _piped.Commit();

    private void Spill()
    {
        _spilled = true;
        batch.MoveTo(ref _piped);
    }
}
