using System.Threading.Channels;
using QcPipeline.Service.Http;

namespace QcPipeline.Service.Events;

/// <summary>One event of the server's stream: a run's progress, failure or end, or the inspections' summary.</summary>
public sealed record ServerEvent(long Id, string Type, string? Run, string Json);

/// <summary>
/// Publishes events to every open stream. Each subscriber has a bounded queue: one that does not keep up loses its
/// oldest events (progress is sent again anyway), never the server's memory. Closing the hub ends every stream (the
/// server is stopping: open streams must not hold its shutdown).
/// </summary>
public sealed class EventHub
{
    /// <summary>Events a subscriber may fall behind by.</summary>
    public const int QueueLength = 1024;

    private readonly List<Channel<ServerEvent>> _subscribers = [];
    private long _nextId;
    private bool _closed;

    /// <summary>Publishes <paramref name="payload"/> (serialized as the API's JSON) to every stream.</summary>
    public void Publish(string type, string? run, object payload)
    {
        Channel<ServerEvent>[] subscribers;
        lock (_subscribers)
        {
            if (_subscribers.Count == 0) return;
            subscribers = [.. _subscribers];
        }
        var e = new ServerEvent(Interlocked.Increment(ref _nextId), type, run, ApiJson.Serialize(payload));
        foreach (var s in subscribers) s.Writer.TryWrite(e);
    }

    /// <summary>A new stream's queue; dispose it when the stream ends.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<ServerEvent>(new BoundedChannelOptions(QueueLength)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true,
        });
        lock (_subscribers)
        {
            if (_closed) channel.Writer.TryComplete();
            else _subscribers.Add(channel);
        }
        return new Subscription(this, channel);
    }

    /// <summary>Streams open now.</summary>
    public int Subscribers { get { lock (_subscribers) return _subscribers.Count; } }

    /// <summary>Ends every stream, now and from now on.</summary>
    public void Close()
    {
        lock (_subscribers)
        {
            _closed = true;
            foreach (var s in _subscribers) s.Writer.TryComplete();
            _subscribers.Clear();
        }
    }

    private void Remove(Channel<ServerEvent> channel)
    {
        lock (_subscribers) _subscribers.Remove(channel);
    }

    /// <summary>One stream's queue of events.</summary>
    public sealed class Subscription(EventHub hub, Channel<ServerEvent> channel) : IDisposable
    {
        /// <summary>The events, until the hub closes.</summary>
        public ChannelReader<ServerEvent> Reader => channel.Reader;

        /// <inheritdoc/>
        public void Dispose() => hub.Remove(channel);
    }
}
