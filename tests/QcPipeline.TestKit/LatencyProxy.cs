using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace QcPipeline.TestKit;

/// <summary>
/// A TCP proxy on 127.0.0.1 that makes loopback behave like a WAN link (the kernel here has no netem), for the
/// benchmarks and for tests that need requests to stay in flight: every byte is delayed by half the round trip in
/// each direction, and each direction is one shared link of the given bandwidth (all connections queue behind
/// each other, as on a real uplink).
/// </summary>
public sealed class LatencyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly TimeSpan _oneWay;
    private readonly double _bytesPerSecond;
    private readonly Link _up = new(), _down = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];

    public LatencyProxy(int upstreamPort, TimeSpan roundTrip, double megabitsPerSecond)
    {
        _upstream = new IPEndPoint(IPAddress.Loopback, upstreamPort);
        _oneWay = roundTrip / 2;
        _bytesPerSecond = megabitsPerSecond * 1_000_000 / 8;
        _listener.Start();
        _tasks.Add(AcceptAsync());
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Bytes carried from the server to the client.</summary>
    public long BytesDown => Interlocked.Read(ref _down.Bytes);

    /// <summary>Bytes carried from the client to the server.</summary>
    public long BytesUp => Interlocked.Read(ref _up.Bytes);

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    private int _connections;

    /// <summary>Times a client started sending after its server had last spoken, over all connections: the round
    /// trips the clients waited for (requests sent together, before any answer, count once).</summary>
    public int ClientTurns => Volatile.Read(ref _clientTurns);

    private int _clientTurns;

    // Who spoke last on one connection: a client's send after its server spoke starts a new turn.
    private sealed class Conversation
    {
        public volatile bool ServerSpokeLast = true;
    }

    private sealed class Link
    {
        public long Bytes;
        public long FreeAtTicks; // when the link has sent everything queued so far
        public readonly object Gate = new();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception) { return; }
            client.NoDelay = true;
            Interlocked.Increment(ref _connections);
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try { await server.ConnectAsync(_upstream, _stop.Token); }
            catch (Exception) { client.Dispose(); server.Dispose(); continue; }
            var conversation = new Conversation();
            lock (_tasks)
            {
                _tasks.Add(PumpAsync(client, server, _up, conversation));
                _tasks.Add(PumpAsync(server, client, _down, conversation));
            }
        }
    }

    // Reads as bytes arrive, stamps each chunk with its delivery time (queueing on the link, then latency),
    // and a writer delivers chunks in order at those times.
    private async Task PumpAsync(Socket from, Socket to, Link link, Conversation conversation)
    {
        var chunks = Channel.CreateUnbounded<(byte[] Data, int Length, long DueTicks)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            try
            {
                await foreach (var (data, length, due) in chunks.Reader.ReadAllAsync(_stop.Token))
                {
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, _stop.Token);
                    await to.SendAsync(data.AsMemory(0, length), SocketFlags.None, _stop.Token);
                }
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception) { Close(from, to); }
        });
        try
        {
            while (true)
            {
                var buffer = new byte[64 * 1024];
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0) break;
                if (link == _down) conversation.ServerSpokeLast = true;
                else if (conversation.ServerSpokeLast)
                {
                    conversation.ServerSpokeLast = false;
                    Interlocked.Increment(ref _clientTurns);
                }
                long due;
                lock (link.Gate)
                {
                    var now = Stopwatch.GetTimestamp();
                    var start = Math.Max(now, link.FreeAtTicks);
                    link.FreeAtTicks = start + (long)(n / _bytesPerSecond * Stopwatch.Frequency);
                    due = link.FreeAtTicks + (long)(_oneWay.TotalSeconds * Stopwatch.Frequency);
                }
                Interlocked.Add(ref link.Bytes, n);
                chunks.Writer.TryWrite((buffer, n, due));
            }
        }
        catch (Exception) { /* the peer went away */ }
        chunks.Writer.TryComplete();
        await writer;
    }

    private static void Close(Socket a, Socket b)
    {
        try { a.Dispose(); } catch (Exception) { }
        try { b.Dispose(); } catch (Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        Task[] all;
        lock (_tasks) all = [.. _tasks];
        try { await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }
    }
}
