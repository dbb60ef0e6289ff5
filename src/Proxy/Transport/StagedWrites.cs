using System.Buffers;
using System.IO.Pipelines;

namespace RespProxy.Transport;

/// <summary>
/// Writes one batch of frames (replies to a client, requests to a backend). While the connection's output pipe has
/// nothing unsent, the batch is gathered in a per-thread staging buffer and sent from there in one call
/// (<see cref="IDirectSendFeature"/>), which skips the pipe's flush and its send loop. A batch too large for the staging
/// buffer goes into the pipe whole (<see cref="GatheredWrites"/>) and leaves with one flush, as does whatever the socket
/// did not take. Call <see cref="Commit"/> before flushing.
/// </summary>
internal ref struct StagedWrites : IFrameWriter
{
    public const int StagingSize = 16 * 1024;

    // Pinned, so the send's `fixed` is free; one per thread, because any thread may be a session's output owner.
    [ThreadStatic]
    private static byte[]? t_staging;

    private IDirectSendFeature? _direct;
    private GatheredWrites _piped;
    private byte[]? _staging;
    private int _staged;

    /// <param name="direct">Null when the replies must go through the pipe (bytes flushed earlier are still unsent).</param>
    public StagedWrites(PipeWriter writer, IDirectSendFeature? direct)
    {
        _piped = new GatheredWrites(writer);
        _direct = direct;
        if (direct is not null)
        {
            _staging = t_staging ??= GC.AllocateUninitializedArray<byte>(StagingSize, pinned: true);
        }
    }

    /// <summary>Bytes that went to the socket directly.</summary>
    public long SentDirectly { get; private set; }

    public void Write(ReadOnlySpan<byte> frame)
    {
        if (_direct is not null)
        {
            if (frame.Length <= _staging!.Length - _staged)
            {
                frame.CopyTo(_staging.AsSpan(_staged));
                _staged += frame.Length;
                return;
            }

            // Too large to stage: the whole batch goes through the pipe, so it still leaves in one send.
            _piped.Write(_staging.AsSpan(0, _staged));
            StopStaging();
        }

        _piped.Write(frame);
    }

    /// <summary>Sends what is staged (the rest of it into the pipe) and commits what went into the pipe.</summary>
    public void Commit()
    {
        if (_direct is not null && _staged > 0)
        {
            int sent = (int)_direct.TrySend(new ReadOnlySequence<byte>(_staging!, 0, _staged));
            SentDirectly = sent;
            if (sent < _staged)
            {
                _piped.Write(_staging.AsSpan(sent, _staged - sent));
            }
        }

        StopStaging();
        _piped.Commit();
    }

    private void StopStaging()
    {
        _direct = null;
        _staging = null;
        _staged = 0;
    }
}
