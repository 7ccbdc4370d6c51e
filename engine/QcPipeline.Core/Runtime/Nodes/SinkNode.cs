using System.Diagnostics;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>Consumes every envelope (failed ones too), then flushes its outputs once the input is complete.</summary>
internal sealed class SinkNode(RunScope run, GraphNode node, int index, StageStats stats, IStageLifecycle stage, StageContext ctx)
    : NodeRuntime(run, node, index, stats, stage, ctx)
{
    protected override async Task HandleAsync(Envelope e)
    {
        // Items that reach a sink are finished upstream: they are recorded even while the run is stopping.
        Stats.Seen();
        Stats.Started();
        var t0 = Stopwatch.GetTimestamp();
        var span = Trace.StartSpan(e, Trace.ParentOf(e), e.Span != default ? [new ActivityLink(e.Span)] : null);
        var outcome = e.IsOk ? StepOutcome.Ok : e.Failure is not null ? StepOutcome.Failed : StepOutcome.Skipped;
        var error = e.Failure?.Reason;
        try
        {
            var recorder = e.Root.Waiter is { } waiter ? json => waiter.Record(Name, json) : (Action<string>?)null;
            await Invoker.Consume(e, new ItemContext(Context, e.Key, 1, 0, span, Run.Abandoned) { Recorder = recorder }).ConfigureAwait(false);
            if (e.IsOk) Stats.Succeeded();
        }
        catch (Exception ex)
        {
            var failure = RecordFailure(e, ex, 1);
            outcome = StepOutcome.Failed; error = failure.Reason;
        }
        Trace.Finish(e, span, t0, 0, 1, outcome, error);
        Run.Ledger.Consumed(e.Root);
    }

    protected override async Task AfterBlockAsync(Task blockDone)
    {
        await blockDone.ConfigureAwait(false);
        using var span = Trace.StartFlushSpan();
        try { await Invoker.Flush(CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            Run.Stop(RunOutcome.Failed, $"stage '{Name}' could not write its outputs: {Describe(ex)}");
        }
    }
}
