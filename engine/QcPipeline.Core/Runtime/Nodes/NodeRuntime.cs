using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// One stage at run time: its block, its targets, and how items move through it. Subclasses are the node
/// shapes (source, transform, pooled transform, fan-out, join, sink); what happens to one item is delegated
/// to the stage (through its invoker), its policy (<see cref="StagePolicy"/>) and its instrumentation.
/// A node takes envelopes in and sends envelopes on; nothing in it depends on the stage running in this
/// process, so a run of stages on remote workers can stand in as one node.
/// </summary>
internal abstract class NodeRuntime
{
    protected readonly RunScope Run;
    protected readonly GraphNode Node;
    protected readonly StageInvoker Invoker;
    protected readonly StageInstrumentation Trace;
    private NodeRuntime[] _targets = [];
    private TaskCompletionSource? _sourceDone;

    protected NodeRuntime(RunScope run, GraphNode node, int index, StageStats stats, IStageLifecycle stage, StageContext context)
    {
        Run = run; Node = node; Index = index; Stats = stats; Stage = stage; Context = context;
        Invoker = node.Descriptor.Bind(stage);
        Trace = new StageInstrumentation(run, index, node, stats);
        context.Stats = stats;
    }

    /// <summary>A node that runs no stage of its own here (the stand-in for stages executed elsewhere, the end
    /// of a segment's run on a worker): it only moves envelopes.</summary>
    protected NodeRuntime(RunScope run, GraphNode node, int index, StageStats stats)
    {
        Run = run; Node = node; Index = index; Stats = stats; Stage = NoStage.Instance;
        Context = new StageContext(node.Name, run.OutputDirectory, run.JobDirectory, run.Services, run.Warn, run.Stopping);
        Invoker = NoStage.Invoker;
        Trace = new StageInstrumentation(run, index, node, stats);
    }

    public string Name => Node.Name;
    public int Index { get; }
    public StageStats Stats { get; }
    public StageContext Context { get; }
    public IStageLifecycle Stage { get; }
    public ActionBlock<Envelope>? Block { get; private set; }
    public Task Completion { get; private set; } = Task.CompletedTask;
    public bool IsSource => Node.Descriptor.Shape == StageShape.Source;
    internal NodeRuntime[] Targets => _targets;
    internal int Inputs { get; private set; }

    /// <summary>The stage instance for this run (made from its descriptor, attached once) inside the node of its shape.</summary>
    public static NodeRuntime Create(RunScope run, GraphNode node, int index, StageStats stats)
    {
        var ctx = new StageContext(node.Name, run.OutputDirectory, run.JobDirectory, run.Services, run.Warn, run.Stopping)
        {
            Workers = node.Workers, Expected = () => run.Expected, CacheDisabled = run.CacheDisabled, Policy = node.Policy,
        };
        var stage = node.Descriptor.Create();
        stage.Attach(node.Definition.Options, ctx);
        return node.Descriptor.Shape switch
        {
            StageShape.Source when run.Feeds.TryGetValue(node.Name, out var feed) => new FedSourceNode(run, node, index, stats, stage, ctx, feed),
            StageShape.Source => new SourceNode(run, node, index, stats, stage, ctx),
            StageShape.Transform => new TransformNode(run, node, index, stats, stage, ctx),
            StageShape.PooledTransform => new PooledNode(run, node, index, stats, stage, ctx),
            StageShape.FanOut => new FanOutNode(run, node, index, stats, stage, ctx),
            StageShape.Join => new JoinNode(run, node, index, stats, stage, ctx),
            _ => new SinkNode(run, node, index, stats, stage, ctx),
        };
    }

    /// <summary>Items at once in this node's block: the stage's workers, times the items that may share one
    /// worker's resource for pooled stages (see GraphNode.Parallelism).</summary>
    protected virtual int Parallelism => Node.Parallelism;

    public void Wire(NodeRuntime[] targets)
    {
        _targets = targets;
        Context.Consumers = targets.Select(t => t.Stage).Where(s => s != NoStage.Instance).ToList();
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
            MaxDegreeOfParallelism = Parallelism,
            EnsureOrdered = false,          // one slow item must not hold back the others
            SingleProducerConstrained = false,
        });
        Stats.QueueDepth = () => Block.InputCount;
        Completion = AfterBlockAsync(Block.Completion);
    }

    public virtual async Task StartAsync(CancellationToken ct) => await Stage.StartAsync(ct).ConfigureAwait(false);

    public virtual async Task StopAsync()
    {
        try { await Stage.StopAsync().ConfigureAwait(false); }
        catch (Exception e) { Run.Warn($"{Name}: stopping failed: {Describe(e)}"); }
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
        try { await ProduceAsync().ConfigureAwait(false); }
        catch (OperationCanceledException) when (Run.Stopping.IsCancellationRequested) { }
        catch (Exception e)
        {
            Run.Stop(RunOutcome.Failed, $"stage '{Name}' ({Node.Descriptor.Name}) failed: {e.Message}");
        }
        _sourceDone!.TrySetResult(); // downstream still drains what was produced
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

    /// <summary>An item that was already failed or skipped upstream: it only passes through, to reach the sinks.</summary>
    protected Task PassOnAsync(Envelope e)
    {
        Stats.PassedOne();
        return EmitAsync(e);
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

    /// <summary>Turns an exception into the item's failure, applying the stage's error policy.</summary>
    protected Failure RecordFailure(Envelope e, Exception error, int attempts)
    {
        var failure = new Failure(Name, e.Key, Describe(error), attempts);
        Stats.FailedOne();
        ApplyFailure(e, failure, Node);
        return failure;
    }

    /// <summary>Records an item's failure at <paramref name="stage"/> and applies that stage's error policy (except
    /// where stages run for another machine's run: the policy is applied there, once).</summary>
    protected void ApplyFailure(Envelope e, Failure failure, GraphNode stage)
    {
        Run.Ledger.RecordFailure(e.Root, failure);
        if (!Run.AppliesErrorPolicy) return;
        switch (stage.Definition.Common.OnError)
        {
            case ErrorPolicy.DeadLetter: Run.DeadLetter(failure); break;
            case ErrorPolicy.Fail: Run.Stop(RunOutcome.ItemsFailed, $"stage '{failure.Stage}' failed on '{e.Key}': {failure.Reason} (on_error: fail)"); break;
        }
    }

    /// <summary>The stage of a node that runs none here.</summary>
    private sealed class NoStage : IStageLifecycle
    {
        public static readonly NoStage Instance = new();
        public static readonly StageInvoker Invoker = new NoInvoker();
        public void Attach(object options, StageContext context) { }
        public ValueTask StartAsync(CancellationToken ct) => ValueTask.CompletedTask;
        public ValueTask StopAsync() => ValueTask.CompletedTask;
        public bool IsTransient(Exception error) => false;
        private sealed class NoInvoker : StageInvoker;
    }

    /// <summary>An exception as one line: our own messages as they are, others with their type.</summary>
    internal static string Describe(Exception e)
    {
        var inner = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e;
        var message = inner.Message.ReplaceLineEndings(" ");
        // "no such file" always says which file.
        if (inner is FileNotFoundException { FileName: { Length: > 0 } file } && !message.Contains(file, StringComparison.Ordinal))
            message = $"{file}: {message}";
        return inner is TimeoutException or IOException || inner.GetType().Namespace?.StartsWith("QcPipeline", StringComparison.Ordinal) == true
            ? message : $"{message} ({inner.GetType().Name})";
    }
}
