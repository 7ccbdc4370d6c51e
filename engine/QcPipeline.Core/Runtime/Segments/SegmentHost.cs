using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// Runs a contiguous run of a job's stages (a <see cref="GraphSegment"/>) here on behalf of another machine's
/// run of the job: items are handed in one by one (<see cref="ProcessAsync"/>) and each call ends with that
/// item's outcome once it has left the run's last stage (or failed, was skipped or cancelled on the way). The
/// stages run in their usual nodes (pools, retries, timeouts, fan-outs and joins, spans), but on_error is left
/// to the machine whose run it is, and each item's steps are kept to go back with it.
/// </summary>
public sealed class SegmentHost
{
    private readonly PipelineGraph _graph;
    private readonly GraphSegment _segment;
    private readonly RunScope _run;
    private readonly ConcurrentDictionary<long, (TaskCompletionSource<SegmentOutcome> Done, Envelope? Last)> _open = new();
    private readonly List<NodeRuntime> _nodes = [];
    private NodeRuntime? _entry;
    private ExitNode? _exit;
    private ResultCacheShortcut? _shortcut;
    private IDisposable? _threads;
    private CancellationTokenRegistration _abandonRegistration;

    /// <summary>A host for <paramref name="segment"/> of <paramref name="graph"/>.</summary>
    /// <param name="graph">The job, compiled here (from the job as the other machine runs it).</param>
    /// <param name="segment">The stages to run.</param>
    /// <param name="outputDirectory">Where the stages may write working files (downloads).</param>
    /// <param name="spanTags">Attributes every span here carries (the worker's id and host).</param>
    /// <param name="cacheDisabled">--no-cache: caches kept between runs are neither read nor written.</param>
    public SegmentHost(PipelineGraph graph, GraphSegment segment, string outputDirectory,
        IReadOnlyList<KeyValuePair<string, object?>> spanTags, bool cacheDisabled = false)
    {
        _graph = graph; _segment = segment;
        _run = new RunScope(graph, Path.GetFullPath(outputDirectory), cacheDisabled)
        {
            AppliesErrorPolicy = false, CollectsSteps = true, SpanTags = spanTags,
        };
        _run.Warning += m => Warning?.Invoke(m);
        _run.Ledger.Finished += Finished;
        Stages = segment.Nodes.Select(n => new StageStats(n.Name, n.Descriptor.Name, n.Workers, n.Capacity)).ToList();
    }

    /// <summary>Items the run's stages work on at once: the sum of their parallelism (what to ask for at a time).</summary>
    public int Capacity => _segment.Nodes.Sum(n => n.Parallelism);

    /// <summary>The stages' counters.</summary>
    public IReadOnlyList<StageStats> Stages { get; }

    /// <summary>Items handed in and not yet ended.</summary>
    public int InProgress => _open.Count;

    /// <summary>Warnings (each once).</summary>
    public event Action<string>? Warning;

    /// <summary>Makes the stages' nodes and starts their stages (last first, so consumers are ready).</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        _threads = ThreadReservation.Reserve(_segment.Nodes.Sum(PipelineRunner.BlockingThreads));
        var byNode = new Dictionary<GraphNode, NodeRuntime>();
        foreach (var (g, i) in _segment.Nodes.Select((g, i) => (g, i)))
            byNode[g] = NodeRuntime.Create(_run, g, _graph.Nodes.ToList().IndexOf(g), Stages[i]);
        _nodes.AddRange(byNode.Values);
        _exit = new ExitNode(_run, _segment.Exit, this);
        foreach (var g in _segment.Nodes)
            byNode[g].Wire(g == _segment.Exit ? [_exit] : g.Downstream.Where(_segment.Contains).Select(d => byNode[d]).ToArray());
        _exit.Wire([]);
        _entry = byNode[_segment.Entry];
        foreach (var g in _segment.Nodes.Where(g => g != _segment.Entry))
            byNode[g].CompleteWhen(g.Upstream.Where(_segment.Contains).Select(u => byNode[u].Completion).ToArray());
        _exit.CompleteWhen([byNode[_segment.Exit].Completion]);
        _shortcut = _run.CacheDisabled ? null : ResultCacheShortcut.Starting(_entry);
        _abandonRegistration = _run.Abandoned.Register(() => { foreach (var n in _nodes) n.AbortInFlight(); });
        foreach (var n in Enumerable.Reverse(_nodes)) await n.StartAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Runs one item through the stages; ends with its outcome (cancelled once the host stops).</summary>
    public async Task<SegmentOutcome> ProcessAsync(SegmentRequest request)
    {
        if (_entry?.Block is not { } entry) throw new InvalidOperationException("the segment host is not started");
        if (_run.Stopping.IsCancellationRequested) return SegmentOutcome.Cancelled;
        var traced = request.Parent.TraceFlags.HasFlag(ActivityTraceFlags.Recorded);
        var root = _run.Ledger.Create(request.Key, "remote", _ => traced);
        root.Parent = request.Parent;
        var done = new TaskCompletionSource<SegmentOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _open[root.Id] = (done, null);
        var e = new Envelope(root, request.Key, request.Item, null);
        if (_shortcut is null || !await _shortcut.TryAsync(e, request.Item).ConfigureAwait(false))
        {
            if (!await entry.SendAsync(e).ConfigureAwait(false)) _run.Ledger.Consumed(root, cancelled: true);
        }
        return await done.Task.ConfigureAwait(false);
    }

    /// <summary>Takes no more items: queued ones are cancelled, items in progress get the job's shutdown_timeout.</summary>
    public void Stop(string reason = "the run was stopped") => _run.Stop(RunOutcome.Cancelled, reason);

    /// <summary>Gives up on the items in progress now.</summary>
    public void Abandon() => _run.Abandon(RunOutcome.Cancelled, "abandoned");

    /// <summary>Lets the stages finish what they hold, stops them and ends every open item (as cancelled).</summary>
    public async Task StopAsync()
    {
        if (_entry?.Block is { } entry)
        {
            entry.Complete();
            var all = Task.WhenAll(_nodes.Append(_exit!).Select(n => n.Completion.ContinueWith(_ => { }, TaskScheduler.Default)));
            var abandoned = Task.Delay(Timeout.Infinite, _run.Abandoned).ContinueWith(_ => { }, TaskScheduler.Default);
            if (await Task.WhenAny(all, abandoned).ConfigureAwait(false) != all)
            {
                foreach (var n in _nodes) n.Block?.Complete();
                await Task.WhenAny(all, Task.Delay(PipelineRunner.AbandonGrace)).ConfigureAwait(false);
            }
        }
        foreach (var n in Enumerable.Reverse(_nodes)) await n.StopAsync().ConfigureAwait(false);
        await _run.Services.DisposeAsync().ConfigureAwait(false);
        _run.Ledger.CloseOpen(stopped: true);
        await _abandonRegistration.DisposeAsync().ConfigureAwait(false);
        _threads?.Dispose();
    }

    // The envelope that left the last stage (one per item: fan-outs are joined inside).
    private void Arrived(Envelope e)
    {
        if (_open.TryGetValue(e.Root.Id, out var open)) _open[e.Root.Id] = (open.Done, e);
        _run.Ledger.Consumed(e.Root);
    }

    private void Finished(RootItem root)
    {
        if (!_open.TryRemove(root.Id, out var open)) return;
        var steps = (IReadOnlyList<SegmentStep>?)root.Steps ?? [];
        var last = open.Last;
        // What left the last stage goes on as it left (a join carries on when one of its parts failed); the item's
        // own failure or skip goes with it, for the other side's accounting.
        open.Done.TrySetResult(root.State switch
        {
            ItemState.Cancelled => new SegmentOutcome { End = SegmentEnd.Cancelled, Steps = steps },
            _ when last is { Failure: null, SkipReason: null, Value: { } value } => new SegmentOutcome
            {
                End = SegmentEnd.Processed, Value = value, Failure = root.Failure, SkipReason = root.SkipReason, Span = last.Span, Steps = steps,
            },
            ItemState.Failed => new SegmentOutcome { End = SegmentEnd.Failed, Failure = last?.Failure ?? root.Failure, Span = last?.Span ?? default, Steps = steps },
            ItemState.Skipped => new SegmentOutcome { End = SegmentEnd.Skipped, SkipReason = last?.SkipReason ?? root.SkipReason, Span = last?.Span ?? default, Steps = steps },
            _ => SegmentOutcome.Failing(new Failure(_segment.Exit.Name, root.Key, "no result left the last stage", 0)),
        });
    }

    /// <summary>Takes what leaves the run's last stage.</summary>
    private sealed class ExitNode(RunScope run, GraphNode exit, SegmentHost host) : NodeRuntime(run, exit, -1, new StageStats("exit", "", 1, 0))
    {
        protected override int Parallelism => 1;

        protected override Task HandleAsync(Envelope e)
        {
            host.Arrived(e);
            return Task.CompletedTask;
        }
    }
}
