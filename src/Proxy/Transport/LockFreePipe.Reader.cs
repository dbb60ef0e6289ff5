using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace RespProxy.Transport;

internal sealed partial class LockFreePipe
{
    /// <summary>The reading end, for one reader at a time (ReadAsync or TryRead, then AdvanceTo).</summary>
    internal sealed class ReaderEnd(LockFreePipe pipe) : PipeReader, IValueTaskSource<ReadResult>
    {
        private PipeWait _wait;

        // The first segment not wholly consumed; null while the chain is given back.
        private PipeSegment? _head;
        private long _consumed;
        private long _examined;
        private bool _completed;

        internal PipeSegment? HeldChain => _head;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            ThrowIfCompleted();
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<ReadResult>(cancellationToken);
            }

            if (HasNewsSince(_examined))
            {
                return new(CurrentResult());
            }

            _wait.Announce();
            if (HasNewsSince(_examined) && _wait.Withdraw())
            {
                return new(CurrentResult());
            }

            return new(this, _wait.Pending(static (state, token) => ((ReaderEnd)state!)._wait.Cancel(token), this, cancellationToken));
        }

        public override bool TryRead(out ReadResult result)
        {
            ThrowIfCompleted();
            // Unlike ReadAsync, returns bytes examined but not consumed, as Pipe does.
            if (HasNewsSince(_consumed))
            {
                result = CurrentResult();
                return true;
            }

            result = default;
            return false;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            ThrowIfCompleted();
            long consumedTotal = PositionOf(consumed);
            long examinedTotal = PositionOf(examined);
            if (consumedTotal < _consumed || examinedTotal < consumedTotal)
            {
                throw new InvalidOperationException("The examined position must not be before the consumed position, nor the consumed position before the last one.");
            }

            if (consumed.GetObject() is PipeSegment segment && segment != _head)
            {
                // Every segment before the one the consumed position lies in is read to its end.
                pipe.ReturnChain(_head, until: segment);
                _head = segment;
            }

            _consumed = consumedTotal;
            _examined = examinedTotal;
            if (pipe._pauseWriterThreshold > 0)
            {
                pipe.ReaderConsumed(consumedTotal);
            }

            // All that was flushed is consumed and the writer holds nothing: the chain goes back, blocks and all.
            if (Volatile.Read(ref pipe._state) == consumedTotal
                && Interlocked.CompareExchange(ref pipe._state, consumedTotal | ChainReturned, consumedTotal) == consumedTotal)
            {
                pipe.ReturnChain(_head, until: null);
                _head = null;
            }
        }

        public override void CancelPendingRead()
        {
            Interlocked.Exchange(ref pipe._readCanceled, 1);
            _wait.TryEnd();
        }

        public override void Complete(Exception? exception = null)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            Interlocked.Exchange(ref pipe._readerCompleted, 1);
            pipe.Writer.EndWait();
            pipe.EndCompleted();
        }

        /// <summary>The writer published: a read waiting for it ends now.</summary>
        internal void EndWait() => _wait.TryEnd();

        ReadResult IValueTaskSource<ReadResult>.GetResult(short token)
        {
            _wait.GetResult(token);
            return CurrentResult();
        }

        ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _wait.GetStatus(token);

        void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _wait.OnCompleted(continuation, state, token, flags);

        // Bytes flushed past `position`, the writer's completion, or a cancelled read.
        private bool HasNewsSince(long position) =>
            pipe.Flushed > position || Volatile.Read(ref pipe._writerCompleted) != 0 || Volatile.Read(ref pipe._readCanceled) != 0;

        private ReadResult CurrentResult()
        {
            bool canceled = Volatile.Read(ref pipe._readCanceled) != 0 && Interlocked.Exchange(ref pipe._readCanceled, 0) != 0;

            // Completion is read before the total: a completed writer flushed everything before it said so.
            bool completed = Volatile.Read(ref pipe._writerCompleted) != 0;
            if (completed && pipe._writerError is { } error)
            {
                ExceptionDispatchInfo.Throw(error);
            }

            return new ReadResult(Unconsumed(pipe.Flushed), canceled, completed);
        }

        private ReadOnlySequence<byte> Unconsumed(long flushed)
        {
            if (flushed == _consumed)
            {
                return default;
            }

            // A chain started after the last was given back becomes the head once its first bytes are published.
            var head = _head ??= Volatile.Read(ref pipe._newChain)!;
            var end = head;
            while (end.RunningIndex + end.Memory.Length < flushed)
            {
                end = end.NextSegment!;
            }

            return new ReadOnlySequence<byte>(head, (int)(_consumed - head.RunningIndex), end, (int)(flushed - end.RunningIndex));
        }

        private long PositionOf(SequencePosition position) =>
            position.GetObject() is PipeSegment segment ? segment.RunningIndex + position.GetInteger() : _consumed;

        private void ThrowIfCompleted()
        {
            if (_completed)
            {
                throw new InvalidOperationException("Reading is not allowed after reader was completed.");
            }
        }
    }

    // Reader: publishes what it consumed (a full fence, paired with the writer's announcement of its wait) and ends
    // the writer's wait, if there is one, once it is less than the resume threshold behind.
    private void ReaderConsumed(long consumed)
    {
        Interlocked.Exchange(ref _consumedForWriter, consumed);
        if (Flushed - consumed < _resumeWriterThreshold)
        {
            Writer.EndWait();
        }
    }
}
