using NATS.Client.Core;
using NATS.Client.JetStream;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;

namespace QcPipeline.Cluster;

/// <summary>
/// One worker's part in one run: the job loaded from the coordinator's announcement and resolved against this
/// machine's own environment (secrets, home folder, files), the distributed stages run in a
/// <see cref="SegmentHost"/>, and items pulled from the run's work queue no faster than they can be worked on:
/// a pull asks for the free places only, so the worker never holds more un-acked items than its capacity. Each
/// item is acked once its result is stored in the results stream; until then it is kept alive with progress acks.
/// </summary>
internal sealed class RunParticipation(NatsConnection nats, NatsJSContext js, RunAnnouncement announcement, WorkerSettings settings)
{
    private readonly RunNames _names = new(announcement.Run);
    private readonly CancellationTokenSource _leave = new();
    private readonly CancellationTokenSource _noMore = new();
    private readonly ItemWire _wire = new(settings.Registry);
    private SegmentHost? _host;
    private SecretGuard? _guard;
    private volatile bool _coordinatorStopping;
    private long _done;

    public string Run => announcement.Run;

    /// <summary>Takes part until the run ends (or this worker stops); the returned task ends when it has left.</summary>
    public async Task RunAsync(CancellationToken workerStopping)
    {
        // This worker stops: items it holds but has not started go back to the queue at once (another worker takes
        // them), items in progress get the job's shutdown_timeout.
        using var stop = workerStopping.Register(() =>
        {
            _noMore.Cancel();
            _host?.Stop("this worker is stopping");
        });
        var log = settings.Log;
        if (Prepare() is { } refusal)
        {
            log($"worker {settings.Id}: takes no work in run {Run} ({announcement.Job}): {refusal}");
            await NoticeAsync(new Notice { Kind = NoticeKind.Refuse, Worker = settings.Id, Host = settings.Host, Reason = refusal }).ConfigureAwait(false);
            return;
        }
        var host = _host!;
        var telemetry = settings.Telemetry?.Invoke(_definition!);
        var dir = Path.Combine(settings.WorkDirectory, Run);
        try
        {
            await host.StartAsync(_leave.Token).ConfigureAwait(false);
            var capacity = settings.Capacity ?? Math.Max(1, host.Capacity);
            log($"worker {settings.Id}: joined run {Run} ({announcement.Job}: {string.Join(", ", announcement.Stages)}), capacity {capacity}");
            await NoticeAsync(new Notice { Kind = NoticeKind.Hello, Worker = settings.Id, Host = settings.Host, Capacity = capacity }).ConfigureAwait(false);
            await using var acks = new AckKeeper(TimeSpan.FromMilliseconds(announcement.AckWaitMs), m => settings.Log($"worker {settings.Id}: {m}"));
            await PullAsync(capacity, acks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_noMore.IsCancellationRequested || _leave.IsCancellationRequested) { }
        finally
        {
            host.Stop();
            await host.StopAsync().ConfigureAwait(false);
            // The run's scratch folder: one left behind costs disk space, not correctness.
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            telemetry?.Dispose(); // its spans are exported before the worker says it has left
            log($"worker {settings.Id}: left run {Run} after {Interlocked.Read(ref _done)} items");
        }
    }

    /// <summary>The coordinator stops taking items (Ctrl+C there): queued items are cancelled, started ones finish.</summary>
    public void CoordinatorStopping()
    {
        _coordinatorStopping = true;
        _noMore.Cancel();
        _host?.Stop("the coordinator stopped the run");
    }

    /// <summary>The run is over (its announcement was removed).</summary>
    public void Leave()
    {
        _noMore.Cancel();
        _leave.Cancel();
    }

    private JobDefinition? _definition;

    // The job as this machine sees it; a reason when this worker cannot take part.
    private string? Prepare()
    {
        try
        {
            _definition = new JobLoader(settings.Registry).Parse(announcement.Document, JobPath());
            var graph = GraphCompiler.Compile(_definition);
            string? problem = null;
            var segment = GraphSegment.Resolve(graph, announcement.Stages, m => problem ??= m);
            if (segment is null) return problem;
            if (Requirements.Missing(segment, announcement.Needs) is { Count: > 0 } missing) return string.Join("; ", missing);
            _guard = new SecretGuard(_definition);
            _host = new SegmentHost(graph, segment, Path.Combine(settings.WorkDirectory, Run),
                [new("qc.cluster.worker", settings.Id), new("host.name", settings.Host), new("qc.cluster.run", Run)], announcement.NoCache);
            _host.Warning += m => settings.Log($"worker {settings.Id}: {m}");
            return null;
        }
        catch (JobInvalidException e) { return "the job does not load here: " + string.Join("; ", e.Diagnostics.Take(3)); }
    }

    // Relative paths in the job start at its folder: the coordinator's, where this machine has it, else the same
    // place below this worker's working folder (a checkout of the same project), else the working folder itself.
    private string JobPath()
    {
        if (Directory.Exists(Path.GetDirectoryName(announcement.JobFile))) return announcement.JobFile;
        var relative = Path.GetFullPath(announcement.JobFileRelative);
        return Directory.Exists(Path.GetDirectoryName(relative)) ? relative : Path.GetFullPath("job.yaml");
    }

    // A pull asks for the free places; the server answers within Expires (heartbeats tell a live server from a gone one).
    private static readonly NatsJSFetchOpts Pull = new() { MaxMsgs = 1, Expires = TimeSpan.FromSeconds(5), IdleHeartbeat = TimeSpan.FromSeconds(1) };

    private async Task PullAsync(int capacity, AckKeeper acks)
    {
        var consumer = await js.GetConsumerAsync(_names.WorkStream, RunNames.WorkConsumer, _noMore.Token).ConfigureAwait(false);
        using var slots = new SemaphoreSlim(capacity, capacity);
        var working = new List<Task>();
        while (!_noMore.IsCancellationRequested)
        {
            await slots.WaitAsync(_noMore.Token).ConfigureAwait(false);
            var free = 1;
            while (free < capacity && slots.Wait(0)) free++;
            var got = 0;
            // The server ends a pull when it expires; one lost in a server restart is given up here a little later.
            using var pull = CancellationTokenSource.CreateLinkedTokenSource(_noMore.Token);
            pull.CancelAfter(Pull.Expires!.Value + TimeSpan.FromSeconds(2));
            try
            {
                var fetch = Pull with { MaxMsgs = free };
                await foreach (var msg in consumer.FetchAsync<byte[]>(fetch, cancellationToken: pull.Token).ConfigureAwait(false))
                {
                    got++;
                    working.Add(HandleAsync(msg, acks, slots));
                }
            }
            catch (OperationCanceledException) when (pull.IsCancellationRequested) { }
            catch (Exception e) when (!_noMore.IsCancellationRequested)
            {
                if (e is not (NatsException or OperationCanceledException or TimeoutException)) // the server is away
                    settings.Log($"worker {settings.Id}: pulling work failed ({e.GetBaseException().Message}); pulling again");
                await Task.Delay(250, _noMore.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false); // the server is away
            }
            if (got < free) slots.Release(free - got);
            working.RemoveAll(t => t.IsCompleted);
        }
        await Task.WhenAll(working).ConfigureAwait(false);
    }

    private async Task HandleAsync(INatsJSMsg<byte[]> msg, AckKeeper acks, SemaphoreSlim slots)
    {
        var held = 1;
        void Free() { if (Interlocked.Exchange(ref held, 0) == 1) slots.Release(); }
        try
        {
            var delivered = msg.Metadata?.NumDelivered ?? 1;
            WorkBody body;
            try { body = Wire.Decode<WorkBody>(msg.Data); }
            catch (System.Text.Json.JsonException) { await msg.AckTerminateAsync().ConfigureAwait(false); return; } // not an item: never again
            _ = NoticeAsync(new Notice { Kind = NoticeKind.Claim, Worker = settings.Id, Host = settings.Host, Item = body.Id, Delivered = delivered });
            SegmentOutcome outcome;
            using (acks.Hold(msg))
            {
                try
                {
                    var parent = msg.Headers is { } h && h.TryGetLastValue(TraceParent.Header, out var tp) ? TraceParent.Parse(tp) : default;
                    outcome = await _host!.ProcessAsync(_wire.Request(body, parent)).ConfigureAwait(false);
                }
                catch (ItemWireException e) { outcome = SegmentOutcome.Failing(new Failure(announcement.Stages[0], body.Key, e.Message, 1)); }
                if (outcome.End == SegmentEnd.Cancelled && !_coordinatorStopping)
                {
                    // This worker is stopping, not the run: another worker takes the item at once.
                    await msg.NakAsync().ConfigureAwait(false);
                    return;
                }
                await ReplyAsync(body, outcome, delivered).ConfigureAwait(false);
            }
            Free(); // the result is stored: the place is free for the next item while the ack goes out
            Interlocked.Increment(ref _done);
            await AckAsync(msg).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException || _leave.IsCancellationRequested) { }
        catch (Exception e) { settings.Log($"worker {settings.Id}: an item of run {Run} was left for redelivery: {e.GetBaseException().Message}"); }
        finally { Free(); }
    }

    // The result goes to the results stream (persisted) before the item is acked: a worker that dies in between
    // costs a redelivery, which the coordinator drops as a duplicate.
    private async Task ReplyAsync(WorkBody body, SegmentOutcome outcome, ulong delivered)
    {
        byte[] bytes;
        try
        {
            bytes = Wire.Encode(_wire.Result(body.Id, outcome, settings.Id, settings.Host, delivered));
            _guard!.Check(bytes, $"the result of {body.Key}");
        }
        catch (Exception e) when (e is ItemWireException or SecretInMessageException)
        {
            var failed = SegmentOutcome.Failing(new Failure(announcement.Stages[^1], body.Key, e.Message, 1)) with { Steps = outcome.Steps };
            bytes = Wire.Encode(_wire.Result(body.Id, failed, settings.Id, settings.Host, delivered));
        }
        var headers = NatsSetup.Headers($"{Run}-{body.Id}-result", TraceParent.Format(outcome.Span));
        await NatsSetup.PublishAsync(js, _names.ResultSubject, bytes, headers, _leave.Token).ConfigureAwait(false);
    }

    // The server confirms the ack (double ack). An ack that does not get through within ack_wait leaves the item to
    // be delivered again: its second result is a duplicate, which the coordinator drops.
    private async Task AckAsync(INatsJSMsg<byte[]> msg)
    {
        var ackWait = TimeSpan.FromMilliseconds(announcement.AckWaitMs);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(_leave.Token);
        limit.CancelAfter(ackWait);
        while (!limit.IsCancellationRequested)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(limit.Token);
            attempt.CancelAfter(ackWait / 4);
            try { await msg.AckAsync(new AckOpts { DoubleAck = true }, attempt.Token).ConfigureAwait(false); return; }
            catch (Exception e) when (!limit.IsCancellationRequested)
            {
                // An attempt that timed out or met a server away is tried again until ack_wait is up; anything else
                // is tried again too, and said.
                if (e is not (NatsException or OperationCanceledException or TimeoutException))
                    settings.Log($"worker {settings.Id}: an ack failed ({e.GetBaseException().Message}); trying again");
            }
        }
    }

    private async Task NoticeAsync(Notice n)
    {
        try { await nats.PublishAsync(_names.NoticeSubject, Wire.Encode(n)).ConfigureAwait(false); }
        catch (Exception e) when (e is NatsException or ObjectDisposedException) { } // a notice is detail; the item's result is what counts
        catch (Exception e) { settings.Log($"worker {settings.Id}: a notice could not be sent ({e.GetBaseException().Message})"); }
    }
}
