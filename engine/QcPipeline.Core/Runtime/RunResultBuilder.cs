using System.Diagnostics;

namespace QcPipeline.Core.Runtime;

/// <summary>Says what a run did, once it has ended: the outcome (with the error budget applied), the
/// accounting, the per-stage table, what did not succeed, warnings and the timeline.</summary>
internal static class RunResultBuilder
{
    public static RunResult Build(RunScope run, IReadOnlyList<StageStats> stages, DateTimeOffset started, TimeSpan duration,
        string? error, Activity? jobSpan)
    {
        var job = run.Graph.Job;
        var ledger = run.Ledger;
        var outcome = run.StopOutcome ?? RunOutcome.Succeeded;
        if (outcome == RunOutcome.Succeeded && job.Options.BudgetExceeded(ledger.Failed, ledger.Produced))
        {
            outcome = RunOutcome.ItemsFailed;
            error = $"{ledger.Failed} of {ledger.Produced} items failed, beyond the error budget ({job.Options.ErrorBudget})";
        }
        error ??= run.StopOutcome is null ? null : run.StopReason;
        jobSpan?.SetTag("qc.items.produced", ledger.Produced);
        jobSpan?.SetTag("qc.items.failed", ledger.Failed);
        if (outcome is RunOutcome.Failed or RunOutcome.ItemsFailed) jobSpan?.SetStatus(ActivityStatusCode.Error, error);
        var traceId = jobSpan?.TraceId.ToString();
        jobSpan?.Dispose();

        return new RunResult
        {
            Job = job.Name, OutputDirectory = run.OutputDirectory, Started = started, Duration = duration,
            Outcome = outcome, Error = error,
            Produced = ledger.Produced, Processed = ledger.Processed, Failed = ledger.Failed,
            Skipped = ledger.Skipped, Cancelled = ledger.Cancelled,
            Stages = stages.Select(s => new StageReport(s.Name, s.Type, s.Workers, s.Capacity, s.In, s.Out, s.Failed, s.Skipped,
                s.PassedThrough, s.Busy.TotalMilliseconds, s.MeanMs, s.P95Ms, s.Utilisation(duration), s.Blocked.TotalMilliseconds, s.Bytes, s.Cached)).ToList(),
            Unsuccessful = ledger.Unsuccessful.ToList(),
            Warnings = run.Warnings,
            Timeline = run.Timeline.Entries, TimelineTruncated = run.Timeline.Sampled,
            TraceId = traceId,
        };
    }
}
