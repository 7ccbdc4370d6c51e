using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using Polly;
using Polly.Retry;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>One stage at run time: its block, its targets and how its items are handled.</summary>
internal abstract class NodeRuntime
{
    protected readonly PipelineRunner Run;
    protected readonly GraphNode Node;
    protected readonly StageInvoker Invoker;
    private NodeRuntime[] _targets = [];
    private TaskCompletionSource? _sourceDone;

    protected NodeRuntime(PipelineRunner run, GraphNode node, int index, StageStats stats, StageContext context)
    {
        Run = run; Node = node; Index = index; Stats = stats; Context = context;
        Invoker = StageInvoker.For(node.Descriptor, node.Stage);
        context.Stats = stats;
    }

    public string Name => Node.Name;
    public int Index { get; }
    public StageStats Stats { get; }
    public StageContext Context { get; }
    public ActionBlock<Envelope>? Block { get; private set; }
    public Task Completion { get; private set; } = Task.CompletedTask;
    public bool Started { get; private set; }
    public bool IsSource => Node.Descriptor.Shape == StageShape.Source;

    public static NodeRuntime Create(PipelineRunner run, GraphNode node, int index, StageStats stats, string outputDir, RunServices services)
    {
        var ctx = new StageContext(node.Name, outputDir, run.JobDirectory, services, run.Warn, run.Stopping)
        {
            Workers = node.Workers, Expected = () => run.Expected, CacheDisabled = run.CacheDisabled,
            Consumers = node.Downstream.Select(d => d.Stage).ToList(),
        };
        node.Stage.Attach(node.Definition.Options, ctx);
        return node.Descriptor.Shape switch
        {
            StageShape.Source => new SourceNode(run, node, index, stats, ctx),
            StageShape.Transform or StageShape.PooledTransform => node.Descriptor.Shape == StageShape.PooledTransform
                ? new PooledNode(run, node, index, stats, ctx) : new TransformNode(run, node, index, stats, ctx),
            StageShape.FanOut => new FanOutNode(run, node, index, stats, ctx),
            StageShape.Join => new JoinNode(run, node, index, stats, ctx),
            _ => new SinkNode(run, node, index, stats, ctx),
        };
    }

    internal NodeRuntime[] Targets => _targets;
    internal int Inputs { get; set; }
    internal IStageLifecycle StageInstance => Node.Stage;

    public void Wire(NodeRuntime[] targets)
    {
        _targets = targets;
        foreach (var t in targets) t.Inputs++;
        if (IsSource)
        {
            _sourceDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Completion = _sourceDone.Task;
            return;
        }
        Block = new ActionBlock<Envelope>(HandleAsync, new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = Node.Capacity,
            MaxDegreeOfParallelism = Node.Parallelism,
            EnsureOrdered = false,          // one slow item must not hold back the others
            SingleProducerConstrained = false,
        });
        Stats.QueueDepth = () => Block.InputCount;
        Completion = AfterBlockAsync(Block.Completion);
    }

    public virtual async Task StartAsync(CancellationToken ct)
    {
        await Node.Stage.StartAsync(ct).ConfigureAwait(false);
        Started = true;
    }

    public virtual async Task StopAsync()
    {
        try { await Node.Stage.StopAsync().ConfigureAwait(false); }
        catch (Exception e) { Run.Warn($"{Name}: stopping failed: {e.Message}"); }
    }

    /// <summary>What follows the block's completion (sinks flush here).</summary>
    protected virtual Task AfterBlockAsync(Task blockDone) => blockDone;

    /// <summary>The block completes once every input is complete (not when the first one is: that would lose items).</summary>
    public void CompleteWhen(Task[] inputs)
    {
        if (Block is null) return;
        if (inputs.Length == 0) { Block.Complete(); return; }
        Task.WhenAll(inputs).ContinueWith(_ => { Context.InputComplete = true; Block.Complete(); }, TaskScheduler.Default);
    }

    /// <summary>Sources begin producing (after every stage has started).</summary>
    public void Begin() => _ = RunSourceAsync();

    private async Task RunSourceAsync()
    {
        if (Run.Stopping.IsCancellationRequested) { _sourceDone!.TrySetResult(); return; }
        try { await ProduceAsync().ConfigureAwait(false); _sourceDone!.TrySetResult(); }
        catch (OperationCanceledException) when (Run.Stopping.IsCancellationRequested) { _sourceDone!.TrySetResult(); }
        catch (Exception e)
        {
            Run.Stop(RunOutcome.Failed, $"stage '{Name}' ({Node.Descriptor.Name}) failed: {e.Message}");
            _sourceDone!.TrySetResult(); // downstream still drains what was produced
        }
    }

    protected virtual Task ProduceAsync() => Task.CompletedTask;

    protected abstract Task HandleAsync(Envelope e);

    /// <summary>Abandon: break blocked calls of items still running (pooled stages abort their connections).</summary>
    public virtual void AbortInFlight() { }

    /// <summary>Sends an envelope on to every target, waiting for room (backpressure). One envelope per target.</summary>
    protected async Task EmitAsync(Envelope e)
    {
        var targets = _targets;
        if (targets.Length > 1) Run.Ledger.Add(e.Root, targets.Length - 1);
        for (var i = 0; i < targets.Length; i++)
        {
            var copy = i == targets.Length - 1 ? e : e.Clone();
            var block = targets[i].Block!;
            var sending = block.SendAsync(copy);
            if (!sending.IsCompleted)
            {
                var t0 = Stopwatch.GetTimestamp();
                await sending.ConfigureAwait(false);
                Stats.AddBlocked(Stopwatch.GetTimestamp() - t0);
            }
            if (!sending.Result) Drop(copy, targets[i].Name);
        }
    }

    private void Drop(Envelope e, string target)
    {
        // Only a stopped or broken target declines: the item is cancelled (or lost, and said so).
        if (!Run.Stopping.IsCancellationRequested)
            Run.Ledger.RecordFailure(e.Root, new Failure(target, e.Key, $"stage '{target}' stopped accepting items", 0));
        Run.Ledger.Consumed(e.Root, cancelled: Run.Stopping.IsCancellationRequested);
    }

    /// <summary>Ends an item here because the run is stopping.</summary>
    protected void Cancel(Envelope e) => Run.Ledger.Consumed(e.Root, cancelled: true);

    protected Activity? StartSpan(Envelope e, ActivityContext parent, IEnumerable<ActivityLink>? links = null)
    {
        if (!Run.TracesOn || !e.Root.Traced) return null;
        var a = PipelineTelemetry.Source.StartActivity(Name, ActivityKind.Internal, parent, null, links);
        if (a is null) return null;
        if (a.IsAllDataRequested)
        {
            a.SetTag(PipelineTelemetry.StageTag, Name);
            a.SetTag(PipelineTelemetry.StageTypeTag, Node.Descriptor.Name);
            a.SetTag(PipelineTelemetry.ItemTag, e.Key);
            a.SetTag(PipelineTelemetry.RootTag, e.Root.Key);
        }
        return a;
    }

    protected ActivityContext ParentOf(Envelope e) => e.Group?.ParentSpan is { TraceId: var t } p && t != default ? p : Run.JobContext;

    /// <summary>Records one item's time at this stage: stats, metrics, timeline, and its span's end.</summary>
    protected void Finish(Envelope e, Activity? span, long t0, int worker, int attempts, string outcome, string? error)
    {
        var t1 = Stopwatch.GetTimestamp();
        Stats.Record(t1 - t0);
        var stageTag = new KeyValuePair<string, object?>(PipelineTelemetry.StageTag, Name);
        if (PipelineTelemetry.Items.Enabled)
            PipelineTelemetry.Items.Add(1, stageTag, new KeyValuePair<string, object?>(PipelineTelemetry.OutcomeTag, outcome));
        if (PipelineTelemetry.Latency.Enabled)
            PipelineTelemetry.Latency.Record(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, stageTag);
        Run.Timeline.Add(new TimelineEntry(Index, worker, e.Root.Id, e.Key, Run.ElapsedMs(t0), Run.ElapsedMs(t1),
            outcome switch { "ok" => 0, "failed" => 1, "skipped" => 2, _ => 3 }));
        if (span is not null)
        {
            span.SetTag(PipelineTelemetry.WorkerTag, worker);
            span.SetTag(PipelineTelemetry.AttemptTag, attempts);
            span.SetTag(PipelineTelemetry.OutcomeTag, outcome);
            if (error is not null)
            {
                span.SetStatus(ActivityStatusCode.Error, error);
                span.AddEvent(new ActivityEvent("exception", tags: new ActivityTagsCollection { ["exception.message"] = error }));
            }
            e.Span = span.Context;
            span.Dispose();
        }
        else if (Run.TracesOn && !e.Root.Traced && PipelineTelemetry.Source.HasListeners())
        {
            // Not sampled: keep a note in case the item fails (failed items are always traced).
            var now = DateTimeOffset.UtcNow;
            var start = now - Stopwatch.GetElapsedTime(t0, t1);
            lock (e.Root)
                (e.Root.Deferred ??= []).Add(new DeferredSpan(Name, Node.Descriptor.Name, e.Key, worker, attempts, start, now, outcome, error, ParentOf(e)));
        }
    }

    /// <summary>Turns an exception into the item's failure, applying the stage's error policy.</summary>
    protected Failure RecordFailure(Envelope e, Exception error, int attempts)
    {
        var reason = Describe(error);
        var failure = new Failure(Name, e.Key, reason, attempts);
        Run.Ledger.RecordFailure(e.Root, failure);
        Stats.FailedOne();
        switch (Node.Definition.Common.OnError)
        {
            case ErrorPolicy.DeadLetter: Run.DeadLetter(failure); break;
            case ErrorPolicy.Fail: Run.Stop(RunOutcome.ItemsFailed, $"stage '{Name}' failed on '{e.Key}': {reason} (on_error: fail)"); break;
        }
        return failure;
    }

    internal static string Describe(Exception e)
    {
        var inner = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e;
        var message = inner.Message.ReplaceLineEndings(" ");
        return inner is TimeoutException or IOException || inner.GetType().Namespace?.StartsWith("QcPipeline", StringComparison.Ordinal) == true
            ? message : $"{message} ({inner.GetType().Name})";
    }
}

/// <summary>A source: enumerates its items into the graph until done or stopped.</summary>
internal sealed class SourceNode(PipelineRunner run, GraphNode node, int index, StageStats stats, StageContext ctx)
    : NodeRuntime(run, node, index, stats, ctx)
{
    protected override async Task ProduceAsync()
    {
        var sourceContext = new SourceContext(Context, Run.Stopping, (key, reason) =>
        {
            var root = Run.Ledger.Create(key, Name, Run.IsTraced);
            var failure = new Failure(Name, key, reason, 1);
            Run.Ledger.RecordFailure(root, failure);
            Stats.FailedOne();
            Run.Ledger.Consumed(root);
        }, Run.Announce);
        var caches = Context.CacheDisabled ? [] : CachesDownstream();
        await foreach (var item in Invoker.Read(sourceContext).ConfigureAwait(false))
        {
            var root = Run.Ledger.Create(item.Key, Name, Run.IsTraced);
            var e = new Envelope(root, item.Key, item, null);
            Stats.Seen(); Stats.Started(); Stats.Succeeded();
            if (caches.Count > 0 && await FromCacheAsync(e, item, caches).ConfigureAwait(false)) continue;
            if (caches.Count > 0) root.SourceItem = item;
            await EmitAsync(e).ConfigureAwait(false);
        }
    }

    /// <summary>The caching stages on the plain one-to-one chain after this source, furthest first.</summary>
    private List<(WorkerNode Node, IResultCache Cache)> CachesDownstream()
    {
        var found = new List<(WorkerNode, IResultCache)>();
        var node = Targets.Length == 1 ? Targets[0] : null;
        while (node is WorkerNode w && w.Inputs == 1)
        {
            if (w.StageInstance is IResultCache c) found.Insert(0, (w, c));
            node = w.Targets.Length == 1 ? w.Targets[0] : null;
        }
        return found;
    }

    private static async Task<bool> FromCacheAsync(Envelope e, IItem item, List<(WorkerNode Node, IResultCache Cache)> caches)
    {
        foreach (var (node, cache) in caches)
        {
            if (!cache.TryGet(item, out var result)) continue;
            await node.EmitCachedAsync(e, result).ConfigureAwait(false);
            return true;
        }
        return false;
    }

    protected override Task HandleAsync(Envelope e) => Task.CompletedTask;
}

/// <summary>Shared by one-to-one stages: retries (Polly), per-attempt timeout, spans, accounting.</summary>
internal abstract class WorkerNode : NodeRuntime
{
    private readonly ResiliencePipeline _retry;
    private readonly TimeSpan _timeout;
    private readonly int _attempts;
    private readonly TimeSpan _backoff;
    private readonly Stack<int> _lanes;

    protected WorkerNode(PipelineRunner run, GraphNode node, int index, StageStats stats, StageContext ctx)
        : base(run, node, index, stats, ctx)
    {
        var r = node.Definition.Common.Retry;
        _timeout = node.Definition.Common.Timeout;
        _attempts = r.Attempts;
        _backoff = r.Backoff;
        _lanes = new Stack<int>(Enumerable.Range(0, node.Workers).Reverse());
        // Polly runs the retries (attempt 2 onwards); the first attempt runs directly, so the common case
        // (no failure) costs no resilience machinery. The retries continue the exponential schedule.
        var builder = new ResiliencePipelineBuilder();
        if (r.Attempts > 2)
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = r.Attempts - 2,
                Delay = r.Backoff * 2,
                MaxDelay = r.MaxBackoff,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ShouldRetry),
            });
        _retry = builder.Build();
    }

    /// <summary>One item at this stage: its envelope, span, worker and attempt count.</summary>
    protected sealed class Attempt(WorkerNode node, Envelope envelope, Activity? span)
    {
        public readonly WorkerNode Node = node;
        public readonly Envelope Envelope = envelope;
        public readonly Activity? Span = span;
        public int Worker;
        public int Count;
    }

    /// <summary>One attempt at one item; sets <see cref="Attempt.Worker"/> to the worker that ran it.</summary>
    protected abstract ValueTask<IItem> AttemptAsync(Attempt a, CancellationToken ct);

    private bool ShouldRetry(Exception ex) =>
        !Run.Stopping.IsCancellationRequested && ex is not SkipItemException && ex is not ResourceUnavailableException
        && ex is not OperationCanceledException && Node.Stage.IsTransient(ex);

    protected sealed override async Task HandleAsync(Envelope e)
    {
        if (!e.IsOk) { Stats.PassedOne(); await EmitAsync(e).ConfigureAwait(false); return; }
        Stats.Seen();
        if (Run.Stopping.IsCancellationRequested) { Cancel(e); return; }
        Stats.Started();
        var t0 = Stopwatch.GetTimestamp();
        var attempt = new Attempt(this, e, StartSpan(e, ParentOf(e)));
        string outcome = "ok";
        string? error = null;
        try
        {
            IItem result;
            try
            {
                attempt.Count = 1;
                result = await TimedAttemptAsync(attempt, Run.Abandoned).ConfigureAwait(false);
            }
            catch (Exception ex) when (_attempts > 1 && ShouldRetry(ex))
            {
                await Task.Delay(_backoff * (0.8 + 0.4 * Random.Shared.NextDouble()), Run.Abandoned).ConfigureAwait(false);
                result = await _retry.ExecuteAsync(static async (a, ct) =>
                {
                    a.Count++;
                    return await a.Node.TimedAttemptAsync(a, ct).ConfigureAwait(false);
                }, attempt, Run.Abandoned).ConfigureAwait(false);
            }
            e.Value = result;
            e.Key = result.Key;
            Stats.Succeeded();
            if (e.Root.SourceItem is { } source && Node.Stage is IResultCache cache) cache.Put(source, result);
        }
        catch (SkipItemException skip)
        {
            outcome = "skipped";
            Run.Ledger.RecordSkip(e.Root, skip.Message);
            e.Skip(skip.Message);
            Stats.SkippedOne();
        }
        catch (OperationCanceledException) when (Run.Abandoned.IsCancellationRequested)
        {
            Finish(e, attempt.Span, t0, attempt.Worker, attempt.Count, "cancelled", null);
            Cancel(e);
            return;
        }
        catch (Exception ex)
        {
            outcome = "failed";
            var failure = RecordFailure(e, ex, attempt.Count);
            error = failure.Reason;
            e.Fail(failure);
        }
        Finish(e, attempt.Span, t0, attempt.Worker, attempt.Count, outcome, error);
        await EmitAsync(e).ConfigureAwait(false);
    }

    /// <summary>Sends on a result remembered from an earlier run, as if this stage had just made it.</summary>
    internal async Task EmitCachedAsync(Envelope e, IItem result)
    {
        Stats.CachedOne();
        e.Value = result;
        e.Key = result.Key;
        await EmitAsync(e).ConfigureAwait(false);
    }

    private ValueTask<IItem> TimedAttemptAsync(Attempt a, CancellationToken ct) =>
        _timeout <= TimeSpan.Zero ? AttemptAsync(a, ct) : WithTimeoutAsync(a, ct);

    private async ValueTask<IItem> WithTimeoutAsync(Attempt a, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try { return await AttemptAsync(a, timeout.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // A timeout must not look like cancellation: Dataflow would drop the item silently.
            throw new TimeoutException($"timed out after {Options.Duration.Format(_timeout)}");
        }
    }

    protected int RentLane()
    {
        if (Node.Workers == 1) return 0;
        lock (_lanes) return _lanes.Count > 0 ? _lanes.Pop() : 0;
    }

    protected void ReturnLane(int lane)
    {
        if (Node.Workers == 1) return;
        lock (_lanes) _lanes.Push(lane);
    }

    protected ItemContext ItemContext(Attempt a, int worker, CancellationToken ct) =>
        new(Context, a.Envelope.Key, a.Count, worker, a.Span, ct);
}

internal sealed class TransformNode(PipelineRunner run, GraphNode node, int index, StageStats stats, StageContext ctx)
    : WorkerNode(run, node, index, stats, ctx)
{
    protected override ValueTask<IItem> AttemptAsync(Attempt a, CancellationToken ct)
    {
        if (Node.Workers == 1) return Invoker.Transform(a.Envelope.Value!, ItemContext(a, 0, ct));
        return WithLaneAsync(a, ct);
    }

    private async ValueTask<IItem> WithLaneAsync(Attempt a, CancellationToken ct)
    {
        var lane = RentLane();
        a.Worker = lane;
        try { return await Invoker.Transform(a.Envelope.Value!, ItemContext(a, lane, ct)).ConfigureAwait(false); }
        finally { ReturnLane(lane); }
    }
}

/// <summary>A one-to-one stage with a resource per worker (one SFTP connection per worker, for the whole run),
/// each shared by up to ItemsPerResource items at once.</summary>
internal sealed class PooledNode : WorkerNode
{
    private readonly ResourcePool<IDisposable> _pool;
    private Timer? _keepAlive;

    public PooledNode(PipelineRunner run, GraphNode node, int index, StageStats stats, StageContext ctx)
        : base(run, node, index, stats, ctx)
    {
        _pool = new ResourcePool<IDisposable>(node.Workers, Invoker.Open, node.Stage.IsTransient, m => Run.Warn($"{Name}: {m}"),
            node.Parallelism / Math.Max(1, node.Workers));
    }

    public int OpenResources => _pool.OpenCount;

    private Task? _opening;
    private readonly object _openGate = new();
    private CancellationToken _runToken;

    public override async Task StartAsync(CancellationToken ct)
    {
        await base.StartAsync(ct).ConfigureAwait(false);
        _runToken = ct;
        _pool.OpenToken = ct;
        var interval = Invoker.KeepAliveInterval;
        if (interval > TimeSpan.Zero)
            _keepAlive = new Timer(_ => _pool.ForEachIdle(Invoker.KeepAlive), null, interval, interval);
    }

    // The pool opens when the first item arrives, not at start: a run whose items all come from a cache
    // opens no connection at all. Explicit workers: all open then, in parallel. "auto": as the policy asks.
    private Task EnsureOpenAsync()
    {
        lock (_openGate)
        {
            if (_opening is { IsFaulted: true } or { IsCanceled: true }) _opening = null; // a later item tries again
            return _opening ??= OpenPoolAsync();
        }
    }

    private async Task OpenPoolAsync()
    {
        var initial = Node.WorkersAuto ? Math.Max(1, Invoker.PoolTarget(Math.Max(Run.Expected, Stats.InputSeen), false, Node.Workers)) : Node.Workers;
        try { await _pool.OpenAsync(initial, _runToken).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException && !Node.Stage.IsTransient(e))
        {
            // Nothing opened, for a reason retrying does not fix (a wrong password): stop the run, no retry storm.
            Run.Stop(RunOutcome.Failed, $"stage '{Name}' could not open its connections: {Describe(e)}");
            throw;
        }
        Stats.Workers = Math.Max(Stats.Workers, _pool.Size);
    }

    protected override async ValueTask<IItem> AttemptAsync(Attempt a, CancellationToken ct)
    {
        await EnsureOpenAsync().WaitAsync(ct).ConfigureAwait(false);
        var known = Math.Max(Run.Expected, Stats.InputSeen);
        var target = Node.WorkersAuto ? Math.Clamp(Invoker.PoolTarget(known, Context.InputComplete, Node.Workers), 1, Node.Workers) : Node.Workers;
        var lease = await _pool.RentAsync(target, ct).ConfigureAwait(false);
        Stats.Workers = Math.Max(Stats.Workers, _pool.Size);
        a.Worker = lease.Slot.Index;
        var broken = false;
        try
        {
            return await Invoker.Pooled(a.Envelope.Value!, lease.Resource, ItemContext(a, lease.Slot.Index, ct)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A cancelled item leaves a shared resource alone; one used by this item only may be mid-call: reopen it.
            broken = Invoker.IsBroken(lease.Resource, ex) || (ex is OperationCanceledException && Node.Parallelism == Node.Workers);
            throw;
        }
        finally { _pool.Return(lease, broken); }
    }

    public override void AbortInFlight()
    {
        foreach (var r in _pool.Snapshot())
        {
            try { Invoker.Abort(r); } catch (Exception) { /* best effort */ }
        }
    }

    public override async Task StopAsync()
    {
        if (_keepAlive is not null) await _keepAlive.DisposeAsync().ConfigureAwait(false);
        await _pool.DisposeAsync().ConfigureAwait(false);
        await base.StopAsync().ConfigureAwait(false);
    }
}

/// <summary>Splits items into children, sending each on with backpressure (not all at once).</summary>
internal sealed class FanOutNode(PipelineRunner run, GraphNode node, int index, StageStats stats, StageContext ctx)
    : NodeRuntime(run, node, index, stats, ctx)
{
    private long _groups;

    protected override async Task HandleAsync(Envelope e)
    {
        if (!e.IsOk) { Stats.PassedOne(); await EmitAsync(e).ConfigureAwait(false); return; }
        Stats.Seen();
        if (Run.Stopping.IsCancellationRequested) { Cancel(e); return; }
        Stats.Started();
        var t0 = Stopwatch.GetTimestamp();
        var span = StartSpan(e, ParentOf(e));
        IReadOnlyList<IItem> children;
        try { children = Invoker.Expand(e.Value!, new ItemContext(Context, e.Key, 1, 0, span, Run.Abandoned)); }
        catch (Exception ex)
        {
            var failure = RecordFailure(e, ex, 1);
            e.Fail(failure);
            Finish(e, span, t0, 0, 1, "failed", failure.Reason);
            await EmitAsync(e).ConfigureAwait(false);
            return;
        }
        if (children.Count == 0)
        {
            const string reason = "fan-out produced no children";
            Run.Ledger.RecordSkip(e.Root, reason);
            e.Skip(reason);
            Stats.SkippedOne();
            Finish(e, span, t0, 0, 1, "skipped", null);
            await EmitAsync(e).ConfigureAwait(false);
            return;
        }
        Stats.Succeeded();
        var spanContext = span?.Context ?? default;
        Finish(e, span, t0, 0, 1, "ok", null);
        var group = new GroupFrame(Interlocked.Increment(ref _groups), children.Count, e.Key, e.Group, spanContext);
        Run.Ledger.Add(e.Root, children.Count - 1);
        for (var i = 0; i < children.Count; i++)
        {
            var child = new Envelope(e.Root, children[i].Key, children[i], group) { GroupIndex = i, Span = spanContext };
            await EmitAsync(child).ConfigureAwait(false);
        }
    }
}

/// <summary>Collects the children of each fan-out group by key and combines them when all are in.</summary>
internal sealed class JoinNode(PipelineRunner run, GraphNode node, int index, StageStats stats, StageContext ctx)
    : NodeRuntime(run, node, index, stats, ctx)
{
    private readonly Dictionary<GroupFrame, List<Envelope>> _pending = new(ReferenceEqualityComparer.Instance);

    protected override async Task HandleAsync(Envelope e)
    {
        // One worker: the dictionary needs no lock, and combining is cheap.
        if (e.Group is not { } group) { Stats.PassedOne(); await EmitAsync(e).ConfigureAwait(false); return; }
        Stats.Seen();
        if (!_pending.TryGetValue(group, out var bucket)) _pending[group] = bucket = new List<Envelope>(group.Size);
        bucket.Add(e);
        if (bucket.Count < group.Size) return;
        _pending.Remove(group);
        bucket.Sort((a, b) => a.GroupIndex.CompareTo(b.GroupIndex));
        Stats.Started();
        var t0 = Stopwatch.GetTimestamp();
        var links = bucket.Where(b => b.Span != default).Take(128).Select(b => new ActivityLink(b.Span));
        var joined = new Envelope(e.Root, group.ParentKey, null, group.Outer) { Span = group.ParentSpan };
        var span = StartSpan(joined, group.Outer?.ParentSpan is { } p && p != default ? p : Run.JobContext, links);
        span?.SetTag("qc.join.size", group.Size);
        Run.Ledger.Add(e.Root, 1 - group.Size);
        string outcome = "ok";
        string? error = null;
        try
        {
            var result = Invoker.Combine(group.ParentKey, bucket, new ItemContext(Context, group.ParentKey, 1, 0, span, Run.Abandoned));
            joined.Value = result;
            joined.Key = result.Key;
            Stats.Succeeded();
        }
        catch (Exception ex)
        {
            var failure = RecordFailure(joined, ex, 1);
            joined.Fail(failure);
            outcome = "failed"; error = failure.Reason;
        }
        // A child that failed made its source item fail already; the joined item carries on (e.g. verdict "error").
        Finish(joined, span, t0, 0, 1, outcome, error);
        await EmitAsync(joined).ConfigureAwait(false);
    }

    protected override async Task AfterBlockAsync(Task blockDone)
    {
        await blockDone.ConfigureAwait(false);
        foreach (var (group, bucket) in _pending)
        {
            foreach (var e in bucket)
            {
                if (!Run.Stopping.IsCancellationRequested)
                    Run.Ledger.RecordFailure(e.Root, new Failure(Name, group.ParentKey, $"only {bucket.Count} of {group.Size} parts arrived", 0));
                Run.Ledger.Consumed(e.Root, cancelled: Run.Stopping.IsCancellationRequested);
            }
        }
        _pending.Clear();
    }
}

/// <summary>Consumes every envelope (failed ones too), then flushes its outputs once the input is complete.</summary>
internal sealed class SinkNode(PipelineRunner run, GraphNode node, int index, StageStats stats, StageContext ctx)
    : NodeRuntime(run, node, index, stats, ctx)
{
    protected override async Task HandleAsync(Envelope e)
    {
        // Items that reach a sink are finished upstream: they are recorded even while the run is stopping.
        Stats.Seen();
        Stats.Started();
        var t0 = Stopwatch.GetTimestamp();
        var span = StartSpan(e, ParentOf(e), e.Span != default ? [new ActivityLink(e.Span)] : null);
        string outcome = e.IsOk ? "ok" : e.Failure is not null ? "failed" : "skipped";
        string? error = e.Failure?.Reason;
        try
        {
            await Invoker.Consume(e, new ItemContext(Context, e.Key, 1, 0, span, Run.Abandoned)).ConfigureAwait(false);
            if (e.IsOk) Stats.Succeeded();
        }
        catch (Exception ex)
        {
            var failure = RecordFailure(e, ex, 1);
            outcome = "failed"; error = failure.Reason;
        }
        Finish(e, span, t0, 0, 1, outcome, error);
        Run.Ledger.Consumed(e.Root);
    }

    protected override async Task AfterBlockAsync(Task blockDone)
    {
        await blockDone.ConfigureAwait(false);
        using var span = Run.TracesOn ? PipelineTelemetry.Source.StartActivity(Name + " flush", ActivityKind.Internal, Run.JobContext) : null;
        span?.SetTag(PipelineTelemetry.StageTag, Name);
        try { await Invoker.Flush(CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            Run.Stop(RunOutcome.Failed, $"stage '{Name}' could not write its outputs: {Describe(ex)}");
        }
    }
}
