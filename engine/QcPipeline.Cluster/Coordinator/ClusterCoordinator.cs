using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;

namespace QcPipeline.Cluster;

/// <summary>
/// The coordinator's side of a distributed run: announces the run (the job as it runs, never a secret) in the
/// runs bucket, puts each item that reaches the distributed stages on the run's work queue (message id: the
/// run and item, so a publish retried after a server restart is not queued twice), and ends each item with the
/// first result a worker sends back. Workers that die cost their items a redelivery after ack_wait; an item
/// whose workers all died with it is dead-lettered after max_deliver deliveries.
/// </summary>
public sealed class ClusterCoordinator : ISegmentExecutor
{
    private readonly ClusterPlan _plan;
    private readonly PipelineGraph _graph;
    private readonly ItemWire _wire;
    private readonly SecretGuard _guard;
    private readonly Action<string> _info;
    private readonly OutstandingItems _outstanding = new();
    private readonly WorkerBook _workers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private RunNames _names = new("");
    private RunAnnouncement? _announcement;
    private SegmentRun? _run;
    private NatsConnection? _nats;
    private NatsJSContext? _js;
    private INatsKVStore? _runs;
    private long _deadLettered;
    private int _brokerWarned;

    /// <summary>The coordinator of <paramref name="plan"/>'s segment of <paramref name="graph"/>; <paramref name="info"/> gets the lines a user should see (how to start workers).</summary>
    public ClusterCoordinator(ClusterPlan plan, PipelineGraph graph, StageRegistry registry, Action<string> info)
    {
        _plan = plan; _graph = graph; _info = info;
        _wire = new ItemWire(registry);
        _guard = new SecretGuard(graph.Job);
    }

    /// <inheritdoc />
    public GraphSegment Segment => _plan.Segment;
    /// <inheritdoc />
    public int MaxOutstanding => _plan.Options.MaxOutstanding;
    /// <inheritdoc />
    public string ReportName => "cluster";

    /// <summary>The run's id (its streams and its key in the runs bucket are named after it).</summary>
    public string RunId => _names.Run;

    /// <inheritdoc />
    public async Task StartAsync(SegmentRun run, CancellationToken ct)
    {
        _run = run;
        _names = new RunNames(RunNames.NewRunId(_graph.Job.Name));
        _nats = await NatsSetup.ConnectAsync(_plan.Url, $"qcpipeline coordinator {_names.Run}", ct).ConfigureAwait(false);
        _js = new NatsJSContext(_nats);
        _runs = await NatsSetup.RunsAsync(_js, ct).ConfigureAwait(false);
        var results = await NatsSetup.CreateRunAsync(_js, _names, _plan.Options, ct).ConfigureAwait(false);
        _loops.Add(Task.Run(() => ResultLoopAsync(results)));
        _loops.Add(Task.Run(NoticeLoopAsync));
        _loops.Add(Task.Run(AdvisoryLoopAsync));
        _loops.Add(Task.Run(SweepLoopAsync));
        _announcement = new RunAnnouncement
        {
            Run = _names.Run, Job = _graph.Job.Name, Document = _graph.Job.Document,
            JobFile = _graph.Job.File, JobFileRelative = Path.GetRelativePath(Environment.CurrentDirectory, _graph.Job.File),
            Stages = Segment.Nodes.Select(n => n.Name).ToArray(), Needs = Requirements.Of(Segment),
            Coordinator = Environment.MachineName, AckWaitMs = _plan.Options.AckWait.TotalMilliseconds, NoCache = run.CacheDisabled,
        };
        await AnnounceAsync(_announcement, ct).ConfigureAwait(false);
        _info($"cluster: run {_names.Run} on {_plan.Url}: workers run {string.Join(", ", _announcement.Stages)}; start them with ./run.sh worker --cluster {_plan.Url}");
    }

    private async Task AnnounceAsync(RunAnnouncement a, CancellationToken ct)
    {
        var body = Wire.Encode(a);
        _guard.Check(body, "the job announced to workers");
        await _runs!.PutAsync(_names.Run, body, cancellationToken: ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<SegmentOutcome> ExecuteAsync(SegmentRequest request, CancellationToken ct)
    {
        var pending = _outstanding.Add(request);
        byte[] body;
        try
        {
            body = _wire.Work(request);
            _guard.Check(body, $"item {request.Key}");
        }
        catch (Exception e) when (e is ItemWireException or SecretInMessageException)
        {
            _outstanding.Drop(request.Id);
            return SegmentOutcome.Failing(new Failure(Segment.Entry.Name, request.Key, e.Message, 1));
        }
        var headers = NatsSetup.Headers($"{_names.Run}-{request.Id}", TraceParent.Format(request.Parent));
        var sequence = await PublishAsync(_names.WorkSubject, body, headers, ct).ConfigureAwait(false);
        _outstanding.Published(pending, sequence);
        using var cancelled = ct.Register(() => _outstanding.End(request.Id, SegmentOutcome.Cancelled));
        return await pending.Done.Task.ConfigureAwait(false);
    }

    // A JetStream publish, retried while the server is away (the message id makes a retry harmless).
    private Task<ulong> PublishAsync(string subject, byte[] body, NatsHeaders headers, CancellationToken ct) =>
        NatsSetup.PublishAsync(_js!, subject, body, headers, ct, e =>
        {
            if (Interlocked.Exchange(ref _brokerWarned, 1) == 0)
                _run?.Warn($"cluster: the NATS server does not take items ({e.GetBaseException().Message}); retrying until it does");
        });

    private async Task ResultLoopAsync(INatsJSConsumer results)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var msg in results.ConsumeAsync<byte[]>(opts: ConsumeOpts, cancellationToken: _stop.Token).ConfigureAwait(false))
                {
                    if (msg.Data is { } data) Record(data);
                    await msg.AckAsync(cancellationToken: _stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                // The server went away (or a consumer was lost with it): consume again once it is back; anything
                // else is said as well.
                if (e is not (NatsException or OperationCanceledException or TimeoutException))
                    _run?.Warn($"cluster: reading results failed ({e.GetBaseException().Message}); reading again");
                await Pause().ConfigureAwait(false);
            }
        }
    }

    // Short pulls with heartbeats: after a server restart the pull is renewed within seconds, not half a minute.
    private static readonly NatsJSConsumeOpts ConsumeOpts = new()
    {
        MaxMsgs = 256, Expires = TimeSpan.FromSeconds(5), IdleHeartbeat = TimeSpan.FromSeconds(1),
    };

    private void Record(byte[] data)
    {
        ResultBody r;
        try { r = Wire.Decode<ResultBody>(data); }
        catch (JsonException) { _run?.Warn("cluster: a result that is not one was ignored"); return; }
        var worker = _workers.Get(r.Worker, r.Host);
        var pending = _outstanding.Get(r.Id);
        if (pending is null) { _outstanding.End(r.Id, SegmentOutcome.Cancelled); return; } // ended already: a duplicate
        SegmentOutcome outcome;
        try { outcome = _wire.Outcome(r, pending.Request.Key, worker.Lane); }
        catch (ItemWireException e) { outcome = SegmentOutcome.Failing(new Failure(Segment.Exit.Name, pending.Request.Key, e.Message, 1)); }
        if (_outstanding.End(r.Id, outcome) && outcome.End != SegmentEnd.Cancelled)
            worker.Count(outcome.End == SegmentEnd.Failed, r.Delivered);
    }

    private async Task NoticeLoopAsync()
    {
        await foreach (var msg in _nats!.SubscribeAsync<byte[]>(_names.NoticeSubject, cancellationToken: _stop.Token).ConfigureAwait(false))
        {
            Notice n;
            try { n = Wire.Decode<Notice>(msg.Data); }
            catch (JsonException) { continue; } // not a notice of this version: notices are detail, results are counted
            var worker = _workers.Get(n.Worker, n.Host);
            switch (n.Kind)
            {
                case NoticeKind.Hello:
                    worker.Capacity = n.Capacity;
                    _info($"cluster: worker {n.Worker} on {n.Host} joined (capacity {n.Capacity})");
                    break;
                case NoticeKind.Claim when _outstanding.Get(n.Item) is { } o:
                    lock (o.Takers) o.Takers.Add($"{n.Worker}@{n.Host} (delivery {n.Delivered})");
                    break;
                case NoticeKind.Refuse:
                    worker.Refused = n.Reason;
                    _run?.Warn($"cluster: worker {n.Worker} on {n.Host} takes no work: {n.Reason}");
                    break;
            }
        }
    }

    // JetStream says so when an item has been delivered max_deliver times and never acked: its workers died with it.
    private async Task AdvisoryLoopAsync()
    {
        await foreach (var msg in _nats!.SubscribeAsync<byte[]>(_names.MaxDeliveriesAdvisory, cancellationToken: _stop.Token).ConfigureAwait(false))
        {
            try
            {
                using var doc = JsonDocument.Parse(msg.Data);
                var seq = doc.RootElement.GetProperty("stream_seq").GetUInt64();
                var deliveries = doc.RootElement.TryGetProperty("deliveries", out var d) ? d.GetInt32() : _plan.Options.MaxDeliver;
                if (_outstanding.BySequence(seq) is { } o) DeadLetter(o, deliveries);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { } // another shape of advisory: the sweep is the backstop
        }
    }

    // A backstop for an advisory that was missed (a server restart at that moment): when neither queue holds
    // anything, delivered or not, every item still out for longer than ack_wait can never come back.
    private async Task SweepLoopAsync()
    {
        var interval = _plan.Options.AckWait;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
                if (_outstanding.Count == 0) continue;
                var work = await _js!.GetConsumerAsync(_names.WorkStream, RunNames.WorkConsumer, _stop.Token).ConfigureAwait(false);
                var results = await _js.GetConsumerAsync(_names.ResultStream, RunNames.ResultConsumer, _stop.Token).ConfigureAwait(false);
                if (work.Info.NumPending + (ulong)work.Info.NumAckPending + results.Info.NumPending + (ulong)results.Info.NumAckPending > 0) continue;
                var old = Environment.TickCount64 - (long)(2 * interval.TotalMilliseconds);
                foreach (var o in _outstanding.All.Where(o => o.Sequence > 0 && o.PublishedTicks < old).ToList())
                    DeadLetter(o, _plan.Options.MaxDeliver);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NatsException or TimeoutException) { } // the server is away: look again later
            catch (Exception e) { _run?.Warn($"cluster: the sweep for lost items failed ({e.GetBaseException().Message}); it looks again later"); }
        }
    }

    private void DeadLetter(Outstanding o, int deliveries)
    {
        string takers;
        lock (o.Takers) takers = o.Takers.Count == 0 ? "" : $": {string.Join(", ", o.Takers)}";
        var failure = new Failure(Segment.Entry.Name, o.Request.Key,
            $"dead-lettered after {deliveries} deliveries (cluster.max_deliver): each worker that took it stopped without a result{takers}", deliveries);
        if (!_outstanding.End(o.Request.Id, SegmentOutcome.Failing(failure))) return;
        Interlocked.Increment(ref _deadLettered);
        if (Segment.Entry.Definition.Common.OnError != ErrorPolicy.DeadLetter) _run?.DeadLetter(failure);
    }

    /// <inheritdoc />
    public void Stopping()
    {
        // Items no worker has taken yet are cancelled here and now; workers cancel what they hold but have not
        // started, and finish what they have started (within shutdown_timeout).
        foreach (var o in _outstanding.All.ToList())
        {
            bool taken;
            lock (o.Takers) taken = o.Takers.Count > 0;
            if (!taken) _outstanding.End(o.Request.Id, SegmentOutcome.Cancelled);
        }
        if (_announcement is { } a && _runs is not null)
            _ = Task.Run(async () =>
            {
                try { await AnnounceAsync(a with { State = AnnouncementState.Stopping }, CancellationToken.None).ConfigureAwait(false); }
                catch (Exception e) { _run?.Warn($"cluster: workers could not be told to stop: {e.GetBaseException().Message}"); }
            });
    }

    // At the end: how long the loops get to see the cancellation, and the run's streams and announcement to be deleted.
    private static readonly TimeSpan LoopsGrace = TimeSpan.FromSeconds(5), CleanUpLimit = TimeSpan.FromSeconds(10);

    // How long a loop waits for a server that went away before it tries again.
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc />
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await Task.WhenAll(_loops).WaitAsync(LoopsGrace).ConfigureAwait(false); }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException) { } // loops end by cancellation, or are let go after 5 s
        catch (Exception e) { _run?.Warn($"cluster: a coordinator loop ended with an error: {e.GetBaseException().Message}"); }
        if (_js is not null)
        {
            using var limit = new CancellationTokenSource(CleanUpLimit);
            try
            {
                if (_runs is not null) await _runs.DeleteAsync(_names.Run, cancellationToken: limit.Token).ConfigureAwait(false);
                await NatsSetup.DeleteRunAsync(_js, _names, limit.Token).ConfigureAwait(false);
            }
            catch (Exception e) { _run?.Warn($"cluster: the run's streams could not be removed: {e.GetBaseException().Message}"); }
        }
        if (_nats is not null) await _nats.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public object? Report()
    {
        if (_announcement is null) return null; // the run never reached the cluster
        var workers = _workers.All.Select(w => new WorkerReport(w.Id, w.Host, w.Capacity, w.Items, w.Failed, w.Redelivered, w.Refused)).ToList();
        return new ClusterReport(_plan.Url, _names.Run, Segment.Nodes.Select(n => n.Name).ToList(), MaxOutstanding,
            _plan.Options.AckWait.TotalMilliseconds, _plan.Options.MaxDeliver, workers,
            new ClusterTotals(workers.Count(w => w.Refused is null), workers.Sum(w => w.Items), workers.Sum(w => w.Failed),
                workers.Sum(w => w.Redelivered), _outstanding.Duplicates, Interlocked.Read(ref _deadLettered)));
    }

    private Task Pause() => Task.Delay(RetryPause, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
}
