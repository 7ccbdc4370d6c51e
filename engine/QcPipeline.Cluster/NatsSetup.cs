using NATS.Client.Core;
using QcPipeline.Core.Jobs;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;

namespace QcPipeline.Cluster;

/// <summary>The NATS connection, the runs bucket and a run's streams and consumers, set up the same way everywhere.</summary>
internal static class NatsSetup
{
    /// <summary>How long a run's streams live at most (a coordinator that died leaves nothing behind for longer).</summary>
    public static readonly TimeSpan StreamLifetime = TimeSpan.FromDays(1);

    /// <summary>A connection that reconnects for ever (a restarted server is waited for, not given up on).</summary>
    public static async Task<NatsConnection> ConnectAsync(string url, string name, CancellationToken ct)
    {
        var nats = new NatsConnection(new NatsOpts
        {
            Url = url, Name = name, MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(100), ReconnectWaitMax = TimeSpan.FromSeconds(1),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        });
        try { await nats.ConnectAsync().AsTask().WaitAsync(ct).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await nats.DisposeAsync().ConfigureAwait(false);
            throw new ClusterException($"cannot reach the NATS server {url}: {e.GetBaseException().Message}");
        }
        return nats;
    }

    /// <summary>The bucket where runs are announced.</summary>
    public static async Task<INatsKVStore> RunsAsync(NatsJSContext js, CancellationToken ct)
    {
        var kv = new NatsKVContext(js);
        try { return await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(RunNames.RunsBucket) { Storage = NatsKVStorageType.File, MaxAge = StreamLifetime }, ct).ConfigureAwait(false); }
        catch (NatsJSApiException e) when (e.Error.Code == 503)
        {
            throw new ClusterException("the NATS server has no JetStream: start it with -js (nats-server -js -sd DIR)");
        }
    }

    /// <summary>The run's work queue and results, and the consumers on them (created by the coordinator).</summary>
    public static async Task<INatsJSConsumer> CreateRunAsync(NatsJSContext js, RunNames names, ClusterOptions options, CancellationToken ct)
    {
        await js.CreateStreamAsync(new StreamConfig(names.WorkStream, [names.WorkSubject])
        {
            Retention = StreamConfigRetention.Workqueue, Storage = StreamConfigStorage.File,
            DuplicateWindow = TimeSpan.FromMinutes(2), MaxAge = StreamLifetime,
        }, ct).ConfigureAwait(false);
        await js.CreateStreamAsync(new StreamConfig(names.ResultStream, [names.ResultSubject])
        {
            Retention = StreamConfigRetention.Limits, Storage = StreamConfigStorage.File,
            DuplicateWindow = TimeSpan.FromMinutes(2), MaxAge = StreamLifetime,
        }, ct).ConfigureAwait(false);
        await js.CreateOrUpdateConsumerAsync(names.WorkStream, new ConsumerConfig(RunNames.WorkConsumer)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit, AckWait = options.AckWait, MaxDeliver = options.MaxDeliver,
            MaxAckPending = options.MaxOutstanding,
        }, ct).ConfigureAwait(false);
        return await js.CreateOrUpdateConsumerAsync(names.ResultStream, new ConsumerConfig(RunNames.ResultConsumer)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit, AckWait = TimeSpan.FromSeconds(5), MaxAckPending = 10_000,
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Removes a run's streams (and with them its consumers and any item left in them).</summary>
    public static async Task DeleteRunAsync(NatsJSContext js, RunNames names, CancellationToken ct)
    {
        foreach (var stream in new[] { names.WorkStream, names.ResultStream })
        {
            try { await js.DeleteStreamAsync(stream, ct).ConfigureAwait(false); }
            catch (NatsJSApiException) { } // already gone
        }
    }

    /// <summary>One publish attempt waits this long for the server's answer at most: an attempt caught in a server
    /// restart is given up and made again (the message id makes that harmless), instead of waiting for a client
    /// timeout of minutes.</summary>
    public static readonly TimeSpan PublishAttempt = TimeSpan.FromSeconds(2);

    /// <summary>Publishes to a stream until the server has stored the message (or <paramref name="ct"/>); retried
    /// with a short backoff while the server is away. Returns the message's stream sequence.</summary>
    public static async Task<ulong> PublishAsync(NatsJSContext js, string subject, byte[] body, NatsHeaders headers, CancellationToken ct, Action<Exception>? retrying = null)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(PublishAttempt);
            try
            {
                var ack = await js.PublishAsync(subject, body, headers: headers, cancellationToken: attempt.Token).ConfigureAwait(false);
                if (ack.Duplicate) return ack.Seq; // stored by an earlier attempt whose answer was lost
                ack.EnsureSuccess();
                return ack.Seq;
            }
            catch (NatsJSDuplicateMessageException e) { return e.Sequence; }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                retrying?.Invoke(e);
                await Task.Delay(backoff, ct).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, backoff.Ticks * 2));
            }
        }
    }

    /// <summary>Headers of a message: its id for de-duplication and the trace it belongs to.</summary>
    public static NatsHeaders Headers(string msgId, string? traceparent)
    {
        var h = new NatsHeaders { ["Nats-Msg-Id"] = msgId };
        if (traceparent is not null) h[TraceParent.Header] = traceparent;
        return h;
    }
}

/// <summary>A cluster problem said in one line (no stack trace).</summary>
public sealed class ClusterException(string message) : Exception(message);
