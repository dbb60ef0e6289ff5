namespace RespProxy.Transport;

/// <summary>
/// Work an <see cref="EpollLoop"/> runs once it has handled every event of one epoll_wait, before it waits again:
/// a backend connection writes in one go everything the clients of this batch queued for it.
/// </summary>
internal interface IEndOfBatchWork
{
    void RunAtEndOfBatch();
}
