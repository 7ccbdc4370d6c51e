using System.Collections.Concurrent;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace QcPipeline.Cluster;

/// <summary>
/// Keeps the items a worker holds from being redelivered while it works on them: every third of ack_wait it
/// tells JetStream each one is still in progress. An item whose worker dies gets no such word and is
/// redelivered once ack_wait has passed.
/// </summary>
internal sealed class AckKeeper : IAsyncDisposable
{
    private readonly ConcurrentDictionary<INatsJSMsg<byte[]>, byte> _held = new();
    private readonly Timer _timer;
    private readonly Action<string> _warn;

    // However short ack_wait is, the server is not told more often than this.
    private const double MinTickMs = 100;

    public AckKeeper(TimeSpan ackWait, Action<string> warn)
    {
        _warn = warn;
        var every = TimeSpan.FromMilliseconds(Math.Max(MinTickMs, ackWait.TotalMilliseconds / 3));
        _timer = new Timer(_ => _ = ProgressAsync(), null, every, every);
    }

    public IDisposable Hold(INatsJSMsg<byte[]> msg)
    {
        _held[msg] = 0;
        return new Release(() => _held.TryRemove(msg, out _));
    }

    private async Task ProgressAsync()
    {
        foreach (var msg in _held.Keys)
        {
            try { await msg.AckProgressAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is NatsException or ObjectDisposedException) { } // the server is away: the next tick tries again
            catch (Exception e) { _warn($"an item's progress could not be reported ({e.GetBaseException().Message}); the next tick tries again"); }
        }
    }

    public ValueTask DisposeAsync() => _timer.DisposeAsync();

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
