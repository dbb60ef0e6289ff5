using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace RespProxy.Transport;

internal sealed partial class LockFreePipe
{
    /// <summary>
    /// The writing end, for one writer at a time: GetMemory/GetSpan, Advance, FlushAsync. Writers that take turns must
    /// hand over through a synchronising operation of their own (a session's output owner is taken with a
    /// compare-exchange), which orders the last writer's fields before the next one's.
    /// </summary>
    internal sealed class WriterEnd(LockFreePipe pipe) : PipeWriter, IValueTaskSource<FlushResult>
    {
        private PipeWait _wait;
        private PipeSegment? _tail;
        private int _tailWritten;
        private long _flushed;
        private long _unflushed;

        // Between the first GetMemory after a flush and the next flush: the state says so, and the reader leaves the
        // chain alone.
        private bool _writing;
        private bool _completed;

        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => _unflushed;

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            if (_completed)
            {
                throw new InvalidOperationException("Writing is not allowed after writer was completed.");
            }

            ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
            if (!_writing)
            {
                BeginWriting();
            }

            if (_tail is null || _tail.AvailableMemory.Length - _tailWritten < Math.Max(sizeHint, 1))
            {
                AddSegment(sizeHint);
            }

            return _tail!.AvailableMemory[_tailWritten..];
        }

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            if (bytes == 0)
            {
                return;
            }

            if (!_writing || (uint)bytes > (uint)(_tail!.AvailableMemory.Length - _tailWritten))
            {
                throw new ArgumentOutOfRangeException(nameof(bytes), "Advanced past the memory GetMemory returned.");
            }

            if (Volatile.Read(ref pipe._readerCompleted) != 0)
            {
                // Nobody will read it: the same space is handed out again.
                return;
            }

            _tailWritten += bytes;
            _unflushed += bytes;
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (_writing)
            {
                Publish();
            }

            if (Volatile.Read(ref pipe._readerCompleted) != 0 || Volatile.Read(ref pipe._flushCanceled) != 0)
            {
                return new(CurrentResult());
            }

            if (pipe._pauseWriterThreshold == 0 || _flushed - Volatile.Read(ref pipe._consumedForWriter) < pipe._pauseWriterThreshold)
            {
                return default;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<FlushResult>(cancellationToken);
            }

            _wait.Announce();
            if (!MustStillWait() && _wait.Withdraw())
            {
                return new(CurrentResult());
            }

            return new(this, _wait.Pending(static (state, token) => ((WriterEnd)state!)._wait.Cancel(token), this, cancellationToken));
        }

        public override void CancelPendingFlush()
        {
            Interlocked.Exchange(ref pipe._flushCanceled, 1);
            _wait.TryEnd();
        }

        public override void Complete(Exception? exception = null)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (_writing)
            {
                // What was written goes out, as with Pipe.
                Publish();
            }

            pipe._writerError = exception;
            Interlocked.Exchange(ref pipe._writerCompleted, 1);
            pipe.Reader.EndWait();
            pipe.EndCompleted();
        }

        /// <summary>The reader caught up, completed, or the flush was cancelled: a paused flush ends now.</summary>
        internal void EndWait() => _wait.TryEnd();

        FlushResult IValueTaskSource<FlushResult>.GetResult(short token)
        {
            _wait.GetResult(token);
            return CurrentResult();
        }

        ValueTaskSourceStatus IValueTaskSource<FlushResult>.GetStatus(short token) => _wait.GetStatus(token);

        void IValueTaskSource<FlushResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _wait.OnCompleted(continuation, state, token, flags);

        // Marks the writer active, so the reader cannot take the chain back while this end writes into it. If the
        // reader took it back since the last flush, the next segment starts a new chain.
        private void BeginWriting()
        {
            long previous = Interlocked.Or(ref pipe._state, WriterActive);
            _writing = true;
            if ((previous & ChainReturned) != 0)
            {
                _tail = null;
                Volatile.Write(ref pipe._state, (previous & TotalMask) | WriterActive);
            }
        }

        private void AddSegment(int sizeHint)
        {
            int size = Math.Max(sizeHint, pipe._segmentSize);
            if (_tail is null)
            {
                var first = PipeSegment.Rent(ref pipe._spareSegment, pipe._pool, size, _flushed + _unflushed);
                Volatile.Write(ref pipe._newChain, first);
                _tail = first;
            }
            else
            {
                var next = PipeSegment.Rent(ref pipe._spareSegment, pipe._pool, size, _tail.RunningIndex + _tailWritten);
                _tail.Commit(_tailWritten);
                _tail.Link(next);
                _tail = next;
            }

            _tailWritten = 0;
        }

        // Makes what was written readable and ends the writing (a full fence before looking for the reader's wait).
        private void Publish()
        {
            _tail!.Commit(_tailWritten);
            long published = _unflushed;
            _flushed += published;
            _unflushed = 0;
            _writing = false;
            Interlocked.Exchange(ref pipe._state, _flushed);
            if (published > 0)
            {
                pipe.Reader.EndWait();
            }
        }

        private bool MustStillWait() =>
            _flushed - Volatile.Read(ref pipe._consumedForWriter) >= pipe._resumeWriterThreshold
            && Volatile.Read(ref pipe._readerCompleted) == 0
            && Volatile.Read(ref pipe._flushCanceled) == 0;

        private FlushResult CurrentResult()
        {
            bool canceled = Volatile.Read(ref pipe._flushCanceled) != 0 && Interlocked.Exchange(ref pipe._flushCanceled, 0) != 0;
            return new FlushResult(canceled, isCompleted: Volatile.Read(ref pipe._readerCompleted) != 0);
        }
    }
}
