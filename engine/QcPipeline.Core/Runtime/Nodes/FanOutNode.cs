using System.Diagnostics;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>Splits items into children, sending each on with backpressure (not all at once).</summary>
internal sealed class FanOutNode(RunScope run, GraphNode node, int index, StageStats stats, IStageLifecycle stage, StageContext ctx)
    : NodeRuntime(run, node, index, stats, stage, ctx)
{
    /// <summary>The ledger's reason for an item whose fan-out had no children.</summary>
    public const string NoChildren = "fan-out produced no children";

    private long _groups;

    protected override async Task HandleAsync(Envelope e)
    {
        if (!e.IsOk) { await PassOnAsync(e).ConfigureAwait(false); return; }
        Stats.Seen();
        if (Run.Stopping.IsCancellationRequested) { Cancel(e); return; }
        Stats.Started();
        var t0 = Stopwatch.GetTimestamp();
        var span = Trace.StartSpan(e, Trace.ParentOf(e));
        IReadOnlyList<IItem> children;
        try { children = Invoker.Expand(e.Value!, new ItemContext(Context, e.Key, 1, 0, span, Run.Abandoned)); }
        catch (Exception ex)
        {
            var failure = RecordFailure(e, ex, 1);
            e.Fail(failure);
            Trace.Finish(e, span, t0, 0, 1, StepOutcome.Failed, failure.Reason);
            await EmitAsync(e).ConfigureAwait(false);
            return;
        }
        if (children.Count == 0)
        {
            Run.Ledger.RecordSkip(e.Root, NoChildren);
            e.Skip(NoChildren);
            Stats.SkippedOne();
            Trace.Finish(e, span, t0, 0, 1, StepOutcome.Skipped, null);
            await EmitAsync(e).ConfigureAwait(false);
            return;
        }
        Stats.Succeeded();
        var spanContext = span?.Context ?? default;
        Trace.Finish(e, span, t0, 0, 1, StepOutcome.Ok, null);
        var group = new GroupFrame(Interlocked.Increment(ref _groups), children.Count, e.Key, e.Group, spanContext);
        Run.Ledger.Add(e.Root, children.Count - 1);
        for (var i = 0; i < children.Count; i++)
        {
            var child = new Envelope(e.Root, children[i].Key, children[i], group) { GroupIndex = i, Span = spanContext };
            await EmitAsync(child).ConfigureAwait(false);
        }
    }
}
