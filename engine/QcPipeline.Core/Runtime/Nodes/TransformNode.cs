using System.Diagnostics;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>A one-to-one stage: each item is executed through the stage's policy, then sent on with its outcome.</summary>
internal class TransformNode : NodeRuntime
{
    private readonly StagePolicy _policy;
    private readonly Stack<int> _lanes;
    // A block that runs one item at a time (its parallelism is the node's) hands them to HandleAsync one after
    // another, each one's attempts all done before the next begins: one Attempt serves them all.
    private readonly Attempt? _onlyAttempt;

    public TransformNode(RunScope run, GraphNode node, int index, StageStats stats, IStageLifecycle stage, StageContext ctx)
        : base(run, node, index, stats, stage, ctx)
    {
        _policy = node.Policy;
        _lanes = new Stack<int>(Enumerable.Range(0, node.Workers).Reverse());
        _onlyAttempt = node.Parallelism == 1 ? new Attempt(this) : null;
    }

    protected sealed override async Task HandleAsync(Envelope e)
    {
        if (!e.IsOk) { await PassOnAsync(e).ConfigureAwait(false); return; }
        Stats.Seen();
        if (Run.Stopping.IsCancellationRequested) { Cancel(e); return; }
        Stats.Started();
        var t0 = Stopwatch.GetTimestamp();
        var attempt = (_onlyAttempt ?? new Attempt(this)).Begin(e, Trace.StartSpan(e, Trace.ParentOf(e)));
        var outcome = StepOutcome.Ok;
        string? error = null;
        try
        {
            var result = await ItemExecution.RunAsync(_policy, attempt, Run.Abandoned).ConfigureAwait(false);
            e.Value = result;
            e.Key = result.Key;
            Stats.Succeeded();
            ResultCacheShortcut.Remember(e, Stage, result);
        }
        catch (SkipItemException skip)
        {
            outcome = StepOutcome.Skipped;
            Run.Ledger.RecordSkip(e.Root, skip.Message);
            e.Skip(skip.Message);
            Stats.SkippedOne();
        }
        catch (Exception) when (Run.Abandoned.IsCancellationRequested)
        {
            // Given up (shutdown_timeout passed, or a second Ctrl+C): however the attempt ended, be it with a
            // cancellation or an aborted connection's error, the item was not done: it is cancelled.
            Trace.Finish(e, attempt.Span, t0, attempt.Worker, attempt.Count, StepOutcome.Cancelled, null);
            Cancel(e);
            return;
        }
        catch (Exception ex)
        {
            outcome = StepOutcome.Failed;
            var failure = RecordFailure(e, _policy.Translate(ex), attempt.Count);
            error = failure.Reason;
            e.Fail(failure);
        }
        Trace.Finish(e, attempt.Span, t0, attempt.Worker, attempt.Count, outcome, error);
        await EmitAsync(e).ConfigureAwait(false);
    }

    /// <summary>Whether a failed attempt is worth another: transient for the stage, and the run is not stopping.</summary>
    internal bool ShouldRetry(Exception ex) =>
        !Run.Stopping.IsCancellationRequested && ex is not SkipItemException && ex is not ResourceUnavailableException
        && ex is not OperationCanceledException && Stage.IsTransient(_policy.Translate(ex));

    /// <summary>One attempt at one item; sets <see cref="Attempt.Worker"/> to the worker that ran it.</summary>
    internal virtual ValueTask<IItem> AttemptAsync(Attempt a, CancellationToken ct)
    {
        if (Node.Workers == 1) return Invoker.Transform(a.Envelope.Value!, a.Context(0, ct));
        return WithLaneAsync(a, ct);
    }

    // With several workers, each item gets a worker number (for the timeline and spans).
    private async ValueTask<IItem> WithLaneAsync(Attempt a, CancellationToken ct)
    {
        int lane;
        lock (_lanes) lane = _lanes.Count > 0 ? _lanes.Pop() : 0;
        a.Worker = lane;
        try { return await Invoker.Transform(a.Envelope.Value!, a.Context(lane, ct)).ConfigureAwait(false); }
        finally { lock (_lanes) _lanes.Push(lane); }
    }

    /// <summary>Sends on a result remembered from an earlier run, as if this stage had just made it.</summary>
    internal async Task EmitCachedAsync(Envelope e, IItem result)
    {
        Stats.CachedOne();
        e.Value = result;
        e.Key = result.Key;
        await EmitAsync(e).ConfigureAwait(false);
    }
}
