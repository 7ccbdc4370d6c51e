using System.Diagnostics;
using System.Diagnostics.Metrics;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// Runs a compiled graph as TPL Dataflow blocks: one bounded ActionBlock per stage whose workers send
/// their results on with SendAsync (so fan-out and broadcast respect every bound), completion wired
/// from all of a block's inputs, per-item failures kept inside envelopes, and an accounting ledger that
/// ends every source item exactly once. This class is the run's lifecycle: make the nodes, start them,
/// let sources produce, wait (or stop and abandon), stop the nodes; <see cref="RunResultBuilder"/> then
/// says what happened.
/// </summary>
public sealed class PipelineRunner
{
    /// <summary>After abandoning, how long blocks that are not stuck get to drain and sinks to flush.</summary>
    internal static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(2);

    private readonly PipelineGraph _graph;
    private readonly RunScope _run;
    private readonly ISegmentExecutor? _remote;
    private List<NodeRuntime> _nodes = [];

    /// <summary>A runner for one run of <paramref name="graph"/>, writing into <paramref name="outputDirectory"/>;
    /// with <paramref name="remote"/>, the run of stages it names is executed elsewhere through it.</summary>
    public PipelineRunner(PipelineGraph graph, string outputDirectory, bool cacheDisabled = false, ISegmentExecutor? remote = null)
    {
        _graph = graph;
        _remote = remote;
        _run = new RunScope(graph, Path.GetFullPath(outputDirectory), cacheDisabled);
        Stages = graph.Nodes.Select(n => new StageStats(n.Name, n.Descriptor.Name, n.Workers, n.Capacity)).ToList();
        _run.Ledger.Finished += root =>
        {
            StageInstrumentation.Finished(root);
            ItemFinished?.Invoke(root);
        };
        _run.Warning += m => Warning?.Invoke(m);
    }

    /// <summary>Live per-stage counters (for a progress display).</summary>
    public IReadOnlyList<StageStats> Stages { get; }

    /// <summary>Source items so far.</summary>
    public long Produced => _run.Ledger.Produced;

    /// <summary>Source items that have ended, however.</summary>
    public long Done => _run.Ledger.Processed + _run.Ledger.Failed + _run.Ledger.Skipped + _run.Ledger.Cancelled;

    /// <summary>Source items that failed so far.</summary>
    public long Failed => _run.Ledger.Failed;

    /// <summary>How many items the sources announced they will produce (0 when unknown).</summary>
    public long Expected => _run.Expected;

    /// <summary>The output folder.</summary>
    public string OutputDirectory => _run.OutputDirectory;

    /// <summary>Raised once per source item when it ends (from worker threads).</summary>
    public event Action<RootItem>? ItemFinished;

    /// <summary>Warnings so far (each printed once).</summary>
    public event Action<string>? Warning;

    /// <summary>What the run's stages add to report.html (<see cref="Reports.IReportContributor"/>), asked after the run.</summary>
    public IReadOnlyList<Reports.ReportSection> ReportSections() =>
        Reports.ReportContributions.Collect(_nodes.Select(n => (n.Name, (object)n.Stage)));

    /// <summary>Stops reading sources, as Ctrl+C does; items in progress get the job's shutdown_timeout.</summary>
    public void Stop(string reason = "cancelled by the user") => _run.Stop(RunOutcome.Cancelled, reason);

    /// <summary>Gives up on items still in progress now, without waiting for shutdown_timeout (a second Ctrl+C).</summary>
    public void Abandon() => _run.Abandon(RunOutcome.Cancelled, "cancelled by the user");

    /// <summary>
    /// Feeds the source stage <paramref name="source"/> from outside instead of letting it produce (call before
    /// <see cref="RunAsync"/>): the run then lasts until the feed completes or the run is stopped, and each
    /// submitted item flows through the same graph with the same accounting and traces. At most
    /// <paramref name="capacity"/> items are pending at once.
    /// </summary>
    public ItemFeed Feed(string source, int capacity)
    {
        var node = _graph.Nodes.FirstOrDefault(n => n.Name == source && n.Descriptor.Shape == StageShape.Source)
            ?? throw new ArgumentException($"job {_graph.Job.Name} has no source stage '{source}'", nameof(source));
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (_nodes.Count > 0) throw new InvalidOperationException("the run has started: feeds are set before it");
        var feed = new ItemFeed(source, node.Descriptor.OutputType!, capacity);
        _run.Feeds[source] = feed;
        return feed;
    }

    /// <summary>Runs the job to the end, or until <paramref name="cancel"/> (Ctrl+C) stops it.</summary>
    public async Task<RunResult> RunAsync(CancellationToken cancel = default)
    {
        Directory.CreateDirectory(_run.OutputDirectory);
        using var threads = ThreadReservation.Reserve(_graph.Nodes.Where(n => SegmentOf(n) is null).Sum(BlockingThreads));
        var started = DateTimeOffset.Now;
        var jobSpan = StartJobSpan();
        using var cancelRegistration = cancel.Register(() => Stop());
        using var abandonRegistration = _run.Abandoned.Register(() => { foreach (var n in _nodes) n.AbortInFlight(); });

        var byNode = MakeNodes();
        using var stopRegistration = _run.Stopping.Register(() => { foreach (var r in _nodes.OfType<RemoteNode>()) r.Stopping(); });
        foreach (var (g, r) in Placed(byNode)) r.Wire(Outputs(g).Select(d => byNode[d]).Distinct().ToArray());
        using var probe = PipelineTelemetry.Probe(
            () => _nodes.Select(n => new Measurement<int>(n.Stats.QueueDepth(), new KeyValuePair<string, object?>(PipelineTelemetry.StageTag, n.Name))),
            () => _nodes.OfType<PooledNode>().Select(n => new Measurement<int>(n.OpenResources, new KeyValuePair<string, object?>(PipelineTelemetry.StageTag, n.Name))));

        var error = await StartNodesAsync().ConfigureAwait(false);
        foreach (var (g, r) in Placed(byNode))
            r.CompleteWhen(Inputs(g).Select(u => byNode[u].Completion).Distinct().ToArray());
        foreach (var r in _nodes.Where(r => r.IsSource)) r.Begin();

        await WaitForNodesAsync().ConfigureAwait(false);
        foreach (var n in _nodes.Where(n => n.Completion.IsFaulted).ToList())
        {
            var reason = $"stage '{n.Name}' failed: {n.Completion.Exception!.GetBaseException().Message}";
            error ??= reason;
            _run.Stop(RunOutcome.Failed, reason);
        }
        foreach (var n in Enumerable.Reverse(_nodes)) await n.StopAsync().ConfigureAwait(false);
        await _run.Services.DisposeAsync().ConfigureAwait(false);
        _run.Ledger.CloseOpen(_run.Stopping.IsCancellationRequested);
        // A feed whose source never began (a stage could not start) still answers every caller.
        foreach (var feed in _run.Feeds.Values)
            foreach (var fed in feed.Close()) fed.End(new FedOutcome(ItemState.Cancelled, null, error ?? "the run ended", []));
        var result = RunResultBuilder.Build(_run, Stages, started, Stopwatch.GetElapsedTime(_run.StartTicks), error, jobSpan);
        return _remote?.Report() is { } report
            ? result.With(_remote.ReportName, report)
            : result;
    }

    // One node per stage; the stages a remote executor runs share one node that stands in for them all.
    private Dictionary<GraphNode, NodeRuntime> MakeNodes()
    {
        var byNode = new Dictionary<GraphNode, NodeRuntime>();
        var remote = _remote is null ? null : new RemoteNode(_run, _remote, _graph.Nodes, Stages);
        for (var i = 0; i < _graph.Nodes.Count; i++)
        {
            var g = _graph.Nodes[i];
            byNode[g] = remote is not null && remote.Segment.Contains(g) ? remote : NodeRuntime.Create(_run, g, i, Stages[i]);
        }
        _nodes = byNode.Values.Distinct().ToList();
        return byNode;
    }

    // Each node once, with the stage it is placed at (a remote node at its run's entry).
    private IEnumerable<(GraphNode, NodeRuntime)> Placed(Dictionary<GraphNode, NodeRuntime> byNode) =>
        _graph.Nodes.Where(g => byNode[g] is not RemoteNode r || r.Segment.Entry == g).Select(g => (g, byNode[g]));

    private IEnumerable<GraphNode> Outputs(GraphNode g) => SegmentOf(g) is { } s ? s.Exit.Downstream : g.Downstream;
    private IEnumerable<GraphNode> Inputs(GraphNode g) => SegmentOf(g) is { } s ? s.Entry.Upstream : g.Upstream;
    private GraphSegment? SegmentOf(GraphNode g) => _remote is { } r && r.Segment.Contains(g) ? r.Segment : null;

    // Pooled stages block a thread both while a connection opens and while an item's call runs.
    internal static int BlockingThreads(GraphNode n) => n.Descriptor.Shape == StageShape.PooledTransform ? 2 * n.Workers : n.Workers;

    private Activity? StartJobSpan()
    {
        var previous = Activity.Current;
        Activity.Current = null; // the job's span is the root of its own trace
        var span = _run.TracesOn ? PipelineTelemetry.Source.StartActivity("job " + _graph.Job.Name, ActivityKind.Internal) : null;
        span?.SetTag(PipelineTelemetry.JobTag, _graph.Job.Name);
        Activity.Current = previous;
        _run.JobContext = span?.Context ?? default;
        return span;
    }

    // Stages start in reverse order so that consumers are ready before producers send.
    private async Task<string?> StartNodesAsync()
    {
        foreach (var n in Enumerable.Reverse(_nodes))
        {
            try { await n.StartAsync(_run.Stopping).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException || !_run.Stopping.IsCancellationRequested)
            {
                var error = $"stage '{n.Name}' could not start: {NodeRuntime.Describe(e)}";
                _run.Stop(RunOutcome.Failed, error);
                return error;
            }
        }
        return null;
    }

    private async Task WaitForNodesAsync()
    {
        var all = Task.WhenAll(_nodes.Select(n => n.Completion.ContinueWith(_ => { }, TaskScheduler.Default)));
        var abandoned = Task.Delay(Timeout.Infinite, _run.Abandoned).ContinueWith(_ => { }, TaskScheduler.Default);
        if (await Task.WhenAny(all, abandoned).ConfigureAwait(false) == all) return;
        // Past shutdown_timeout (or a second Ctrl+C), an item may still be stuck in a call that ignores
        // cancellation (a hung file system, a native call): its block would never complete. Stop waiting
        // for it: every block is told to finish what it holds (those items end cancelled) so that sinks
        // still flush; what is left running is abandoned and its items are counted as cancelled.
        foreach (var n in _nodes) n.Block?.Complete();
        await Task.WhenAny(all, Task.Delay(AbandonGrace)).ConfigureAwait(false);
    }
}
