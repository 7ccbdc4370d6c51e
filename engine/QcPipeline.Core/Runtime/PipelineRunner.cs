using System.Diagnostics;
using System.Text.Json;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// Runs a compiled graph as TPL Dataflow blocks: one bounded ActionBlock per stage whose workers send
/// their results on with SendAsync (so fan-out and broadcast respect every bound), completion wired
/// from all of a block's inputs, per-item failures kept inside envelopes, and an accounting ledger that
/// ends every source item exactly once.
/// </summary>
public sealed class PipelineRunner
{
    private readonly PipelineGraph _graph;
    private readonly string _outputDirectory;
    private readonly Ledger _ledger = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly List<string> _warnings = [];
    private readonly HashSet<string> _warned = [];
    private readonly Timeline _timeline;
    private readonly long _startTicks = Stopwatch.GetTimestamp();
    private readonly object _deadLetterGate = new();
    private readonly RunServices _services = new();
    private List<NodeRuntime> _nodes = [];
    private Activity? _jobSpan;
    private RunOutcome? _stopOutcome;
    private string? _stopReason;
    private long _expected;

    public PipelineRunner(PipelineGraph graph, string outputDirectory, bool cacheDisabled = false)
    {
        CacheDisabled = cacheDisabled;
        _graph = graph;
        _outputDirectory = Path.GetFullPath(outputDirectory);
        _timeline = new Timeline(graph.Job.Options.Outputs.TimelineLimit);
        Stages = graph.Nodes.Select(n => new StageStats(n.Name, n.Descriptor.Name, n.Workers, n.Capacity)).ToList();
        _ledger.Finished += root =>
        {
            // An unsampled item's spans were kept back: emitted if it failed (failed items are always traced), else dropped.
            if (root.State == ItemState.Failed) EmitDeferred(root); else root.Deferred = null;
            ItemFinished?.Invoke(root);
        };
    }

    /// <summary>After abandoning, how long blocks that are not stuck get to drain and sinks to flush.</summary>
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(2);

    /// <summary>Live per-stage counters (for a progress display).</summary>
    public IReadOnlyList<StageStats> Stages { get; }

    public long Produced => _ledger.Produced;
    public long Done => _ledger.Processed + _ledger.Failed + _ledger.Skipped + _ledger.Cancelled;
    public long Failed => _ledger.Failed;

    /// <summary>How many items the sources announced they will produce (0 when unknown).</summary>
    public long Expected => Interlocked.Read(ref _expected);

    /// <summary>Raised once per source item when it ends (from worker threads).</summary>
    public event Action<RootItem>? ItemFinished;

    /// <summary>Warnings so far (each printed once).</summary>
    public event Action<string>? Warning;

    internal string JobDirectory => _graph.Job.Directory;
    internal bool CacheDisabled { get; }
    internal CancellationToken Stopping => _stop.Token;
    internal CancellationToken Abandoned => _abandon.Token;
    internal Ledger Ledger => _ledger;
    internal Timeline Timeline => _timeline;
    internal ActivityContext JobContext => _jobSpan?.Context ?? default;
    internal bool TracesOn => _graph.Job.Options.Telemetry.Traces;
    internal double ElapsedMs(long ticks) => Stopwatch.GetElapsedTime(_startTicks, ticks).TotalMilliseconds;

    internal void Announce(long items) => Interlocked.Add(ref _expected, items);

    internal void Warn(string message)
    {
        lock (_warnings)
        {
            if (!_warned.Add(message)) return;
            _warnings.Add(message);
        }
        Warning?.Invoke(message);
    }

    /// <summary>Gives up on items still in progress now, without waiting for shutdown_timeout (a second Ctrl+C).</summary>
    public void Abandon()
    {
        Stop(RunOutcome.Cancelled, "cancelled by the user");
        _abandon.Cancel();
    }

    /// <summary>Stops reading sources; items already in progress get the job's shutdown_timeout, then are abandoned.</summary>
    internal void Stop(RunOutcome outcome, string reason)
    {
        lock (_stop)
        {
            if (_stopOutcome is not null) return;
            _stopOutcome = outcome;
            _stopReason = reason;
        }
        _stop.Cancel();
        _abandon.CancelAfter(_graph.Job.Options.ShutdownTimeout);
    }

    internal void DeadLetter(Failure f)
    {
        var line = JsonSerializer.Serialize(new { time = DateTimeOffset.UtcNow, stage = f.Stage, item = f.Item, reason = f.Reason, attempts = f.Attempts });
        lock (_deadLetterGate) File.AppendAllText(Path.Combine(_outputDirectory, "dead-letter.jsonl"), line + "\n");
    }

    internal bool IsTraced(long rootId)
    {
        var ratio = _graph.Job.Options.Telemetry.SampleRatio;
        if (ratio >= 1) return true;
        if (ratio <= 0) return false;
        var h = (ulong)rootId * 0x9E3779B97F4A7C15UL;
        return (h >> 11) * (1.0 / (1UL << 53)) < ratio;
    }

    // Stages that block their thread (native checks, libssh2 calls) must each get a thread at once: the thread
    // pool otherwise grows by about one thread a second, and one slow item would hold back the others.
    private static void EnsureThreads(int workers)
    {
        var wanted = workers + Environment.ProcessorCount;
        ThreadPool.GetMinThreads(out var current, out var io);
        if (current < wanted) ThreadPool.SetMinThreads(wanted, io);
    }

    /// <summary>Runs the job to the end, or until <paramref name="cancel"/> (Ctrl+C) stops it.</summary>
    public async Task<RunResult> RunAsync(CancellationToken cancel = default)
    {
        Directory.CreateDirectory(_outputDirectory);
        EnsureThreads(_graph.Nodes.Sum(n => n.Workers));
        var started = DateTimeOffset.Now;
        var previous = Activity.Current;
        Activity.Current = null; // the job's span is the root of its own trace
        _jobSpan = TracesOn ? PipelineTelemetry.Source.StartActivity("job " + _graph.Job.Name, ActivityKind.Internal) : null;
        _jobSpan?.SetTag(PipelineTelemetry.JobTag, _graph.Job.Name);
        Activity.Current = previous;
        using var cancelRegistration = cancel.Register(() => Stop(RunOutcome.Cancelled, "cancelled by the user"));
        using var abandonRegistration = _abandon.Token.Register(() => { foreach (var n in _nodes) n.AbortInFlight(); });

        string? error = null;
        _nodes = _graph.Nodes.Select((n, i) => NodeRuntime.Create(this, n, i, Stages[i], _outputDirectory, _services)).ToList();
        var byNode = _graph.Nodes.Zip(_nodes).ToDictionary(p => p.First, p => p.Second);
        foreach (var (g, r) in _graph.Nodes.Zip(_nodes)) r.Wire(g.Downstream.Select(d => byNode[d]).ToArray());
        using var probe = PipelineTelemetry.Probe(
            () => _nodes.Select(n => new System.Diagnostics.Metrics.Measurement<int>(n.Stats.QueueDepth(), new KeyValuePair<string, object?>(PipelineTelemetry.StageTag, n.Name))),
            () => _nodes.OfType<PooledNode>().Select(n => new System.Diagnostics.Metrics.Measurement<int>(n.OpenResources, new KeyValuePair<string, object?>(PipelineTelemetry.StageTag, n.Name))));
        // Stages start in reverse order so that consumers are ready before producers send.
        foreach (var n in Enumerable.Reverse(_nodes))
        {
            try { await n.StartAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
            {
                error = $"stage '{n.Name}' could not start: {NodeRuntime.Describe(e)}";
                Stop(RunOutcome.Failed, error);
                break;
            }
        }

        foreach (var (g, r) in _graph.Nodes.Zip(_nodes))
            r.CompleteWhen(g.Upstream.Select(u => byNode[u].Completion).ToArray());
        foreach (var r in _nodes.Where(r => r.IsSource)) r.Begin();

        var all = Task.WhenAll(_nodes.Select(n => n.Completion.ContinueWith(_ => { }, TaskScheduler.Default)));
        var abandoned = Task.Delay(Timeout.Infinite, _abandon.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        if (await Task.WhenAny(all, abandoned).ConfigureAwait(false) != all)
        {
            // Past shutdown_timeout (or a second Ctrl+C), an item may still be stuck in a call that ignores
            // cancellation (a hung file system, a native call): its block would never complete. Stop waiting
            // for it: every block is told to finish what it holds (those items end cancelled) so that sinks
            // still flush; what is left running is abandoned and its items are counted as cancelled.
            foreach (var n in _nodes) n.Block?.Complete();
            await Task.WhenAny(all, Task.Delay(AbandonGrace)).ConfigureAwait(false);
        }
        foreach (var n in _nodes.Where(n => n.Completion.IsFaulted).ToList())
        {
            var reason = $"stage '{n.Name}' failed: {n.Completion.Exception!.GetBaseException().Message}";
            error ??= reason;
            Stop(RunOutcome.Failed, reason);
        }
        foreach (var n in Enumerable.Reverse(_nodes)) await n.StopAsync().ConfigureAwait(false);
        await _services.DisposeAsync().ConfigureAwait(false);
        _ledger.CloseOpen(_stop.IsCancellationRequested);

        var duration = Stopwatch.GetElapsedTime(_startTicks);
        var outcome = _stopOutcome ?? RunOutcome.Succeeded;
        if (outcome == RunOutcome.Succeeded && _graph.Job.Options.BudgetExceeded(_ledger.Failed, _ledger.Produced))
        {
            outcome = RunOutcome.ItemsFailed;
            error = $"{_ledger.Failed} of {_ledger.Produced} items failed, beyond the error budget ({_graph.Job.Options.ErrorBudget})";
        }
        error ??= _stopOutcome is null ? null : _stopReason;
        _jobSpan?.SetTag("qc.items.produced", _ledger.Produced);
        _jobSpan?.SetTag("qc.items.failed", _ledger.Failed);
        if (outcome is RunOutcome.Failed or RunOutcome.ItemsFailed) _jobSpan?.SetStatus(ActivityStatusCode.Error, error);
        var traceId = _jobSpan?.TraceId.ToString();
        _jobSpan?.Dispose();

        return new RunResult
        {
            Job = _graph.Job.Name, OutputDirectory = _outputDirectory, Started = started, Duration = duration,
            Outcome = outcome, Error = error,
            Produced = _ledger.Produced, Processed = _ledger.Processed, Failed = _ledger.Failed,
            Skipped = _ledger.Skipped, Cancelled = _ledger.Cancelled,
            Stages = Stages.Select(s => new StageReport(s.Name, s.Type, s.Workers, s.Capacity, s.In, s.Out, s.Failed, s.Skipped,
                s.PassedThrough, s.Busy.TotalMilliseconds, s.MeanMs, s.P95Ms, s.Utilisation(duration), s.Blocked.TotalMilliseconds, s.Bytes, s.Cached)).ToList(),
            Unsuccessful = _ledger.Unsuccessful.Select(r => new ItemReport(r.Key, r.State.ToString().ToLowerInvariant(),
                r.Failure?.Stage, r.Failure?.Reason ?? r.SkipReason, r.Failure?.Attempts ?? 0)).ToList(),
            Warnings = _warnings.ToList(),
            Timeline = _timeline.Entries.ToList(), TimelineTruncated = _timeline.Truncated,
            TraceId = traceId,
        };
    }

    /// <summary>A span that was not recorded because its item was not sampled, emitted now because the item failed.</summary>
    internal void EmitDeferred(RootItem root)
    {
        if (root.Deferred is not { } spans) return;
        foreach (var s in spans)
        {
            using var a = PipelineTelemetry.Source.StartActivity(s.Stage, ActivityKind.Internal, s.Parent, null, null, s.Start);
            if (a is null) return;
            a.SetTag(PipelineTelemetry.StageTag, s.Stage);
            a.SetTag(PipelineTelemetry.StageTypeTag, s.StageType);
            a.SetTag(PipelineTelemetry.ItemTag, s.Key);
            a.SetTag(PipelineTelemetry.RootTag, root.Key);
            a.SetTag(PipelineTelemetry.WorkerTag, s.Worker);
            a.SetTag(PipelineTelemetry.AttemptTag, s.Attempts);
            a.SetTag(PipelineTelemetry.OutcomeTag, s.Outcome);
            if (s.Error is not null)
            {
                a.SetStatus(ActivityStatusCode.Error, s.Error);
                a.AddEvent(new ActivityEvent("exception", s.End, new ActivityTagsCollection { ["exception.message"] = s.Error }));
            }
            a.SetEndTime(s.End.UtcDateTime);
        }
        root.Deferred = null;
    }
}
