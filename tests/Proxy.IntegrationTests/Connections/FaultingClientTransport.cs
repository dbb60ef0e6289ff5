using System.Collections;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using RespProxy.IntegrationTests.Infrastructure;
using RespProxy.Transport;

namespace RespProxy.IntegrationTests.Connections;

/// <summary>
/// The proxy's own epoll transport for the RESP listener, with every accepted client connection wrapped so that a test
/// can make the next write of one client's replies throw (<see cref="FailNextWrite"/>), to stand for a bug in the code
/// that writes replies. The wrapped connections offer no direct sends, so every reply goes through their output pipe.
/// </summary>
internal sealed class FaultingClientTransport(EpollTransport inner) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly ConcurrentQueue<FaultingClientConnection> _accepted = new();

    public int Faults => _accepted.Sum(connection => connection.Faults);

    /// <summary>The next write of replies to the <paramref name="index"/>-th accepted client (from 0) throws.</summary>
    public void FailNextWrite(int index) => _accepted.ElementAt(index).Arm();

    public int AcceptedCount => _accepted.Count;

    public bool CanBind(EndPoint endpoint) => inner.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        new Listener(await inner.BindAsync(endpoint, cancellationToken), this);

    private sealed class Listener(IConnectionListener inner, FaultingClientTransport transport) : IConnectionListener
    {
        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            var connection = await inner.AcceptAsync(cancellationToken);
            if (connection is null)
            {
                return null;
            }

            var wrapped = new FaultingClientConnection(connection);
            transport._accepted.Enqueue(wrapped);
            return wrapped;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class FaultingClientConnection(ConnectionContext inner)
        : FaultInjectingConnection(inner, new WithoutDirectSend(inner.Features))
    {
        private int _armed;

        public int Faults { get; private set; }

        public void Arm() => Volatile.Write(ref _armed, 1);

        // Not one of the exceptions a transport that has gone away throws: before the fix such an exception escaped
        // into the backend connection's reader, which serves every client.
        protected override void ThrowIfArmed()
        {
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Faults++;
                throw new NotSupportedException("injected reply write failure");
            }
        }
    }

    // The transport's own features (the session resumes receiving through one of them), less direct sends.
    private sealed class WithoutDirectSend(IFeatureCollection inner) : IFeatureCollection
    {
        public bool IsReadOnly => inner.IsReadOnly;

        public int Revision => inner.Revision;

        public object? this[Type key]
        {
            get => key == typeof(IDirectSendFeature) ? null : inner[key];
            set => inner[key] = value;
        }

        public TFeature? Get<TFeature>() => typeof(TFeature) == typeof(IDirectSendFeature) ? default : inner.Get<TFeature>();

        public void Set<TFeature>(TFeature? instance) => inner.Set(instance);

        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() =>
            inner.Where(feature => feature.Key != typeof(IDirectSendFeature)).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
