using System.Diagnostics;
using QcPipeline.Core.Graph;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// Executes a contiguous run of a job's stages (a <see cref="GraphSegment"/>) somewhere else, one item at a
/// time: the runner hands it each item that reaches the run's entry and sends the outcome on from its exit, as
/// if the stages had run here. How the item travels (and where) is the executor's business: Core knows only
/// this. The runner keeps the accounting, applies the stages' on_error and writes the outputs as locally.
/// </summary>
public interface ISegmentExecutor
{
    /// <summary>The stages executed elsewhere.</summary>
    GraphSegment Segment { get; }

    /// <summary>Items handed to the executor and not yet back, at most (the runner never exceeds it).</summary>
    int MaxOutstanding { get; }

    /// <summary>Called once before items flow.</summary>
    Task StartAsync(SegmentRun run, CancellationToken ct);

    /// <summary>Executes the run's stages on one item. Cancelled (<paramref name="ct"/>) when the run gives up
    /// on items in progress; an outcome of <see cref="SegmentEnd.Cancelled"/> ends the item as cancelled.</summary>
    Task<SegmentOutcome> ExecuteAsync(SegmentRequest request, CancellationToken ct);

    /// <summary>The run stops taking items (Ctrl+C, a failure): items not yet started elsewhere should come back
    /// cancelled, items in progress may finish until the run gives up on them.</summary>
    void Stopping();

    /// <summary>Called once after the last item.</summary>
    Task StopAsync();

    /// <summary>What run.json records of it, under <see cref="ReportName"/> (null: nothing).</summary>
    object? Report();

    /// <summary>The run.json key of <see cref="Report"/>.</summary>
    string ReportName { get; }
}

/// <summary>What an executor may use of the run it serves.</summary>
public sealed class SegmentRun
{
    internal SegmentRun(RunScope run) => _run = run;

    private readonly RunScope _run;

    /// <summary>The job's span (the trace every item's spans belong to).</summary>
    public ActivityContext JobContext => _run.JobContext;

    /// <summary>The run's output folder.</summary>
    public string OutputDirectory => _run.OutputDirectory;

    /// <summary>--no-cache: caches kept between runs are neither read nor written (wherever the stages run).</summary>
    public bool CacheDisabled => _run.CacheDisabled;

    /// <summary>Items the sources announced (0 while unknown).</summary>
    public long Expected => _run.Expected;

    /// <summary>Cancelled when the run stops taking items.</summary>
    public CancellationToken Stopping => _run.Stopping;

    /// <summary>Cancelled when the run gives up on items in progress.</summary>
    public CancellationToken Abandoned => _run.Abandoned;

    /// <summary>A warning, printed and kept once.</summary>
    public void Warn(string message) => _run.Warn(message);

    /// <summary>Appends a failure to the run's dead-letter.jsonl.</summary>
    public void DeadLetter(Stages.Failure failure) => _run.DeadLetter(failure);

    /// <summary>Stops the run (as a failure), e.g. when the executor cannot go on.</summary>
    public void Fail(string reason) => _run.Stop(RunOutcome.Failed, reason);
}
