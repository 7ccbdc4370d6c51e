using System.Diagnostics;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>One item sent to a run of stages executed elsewhere: its number in the run, its key, the item,
/// and the span its spans there hang under.</summary>
public sealed record SegmentRequest(long Id, string Key, IItem Item, ActivityContext Parent);

/// <summary>How an item's trip through a run of stages ended.</summary>
public enum SegmentEnd
{
    /// <summary>It came back with its result.</summary>
    Processed,
    /// <summary>A stage failed on it (see <see cref="SegmentOutcome.Failure"/>).</summary>
    Failed,
    /// <summary>A stage skipped it on purpose.</summary>
    Skipped,
    /// <summary>The run stopped before it was done.</summary>
    Cancelled,
}

/// <summary>One stage's part in an item's trip: how long, how it ended, after how many attempts.</summary>
public sealed record SegmentStep(string Stage, double Ms, StepOutcome Outcome, int Attempts);

/// <summary>What came back for one item: its result, or why there is none, and what each stage did with it.</summary>
public sealed record SegmentOutcome
{
    /// <summary>How the trip ended.</summary>
    public required SegmentEnd End { get; init; }

    /// <summary>The result (when processed).</summary>
    public IItem? Value { get; init; }

    /// <summary>Why it failed (the stage named is one of the run's). With a result (<see cref="SegmentEnd.Processed"/>):
    /// a part of the item failed but its result carries on, as a join's does when one of its parts failed.</summary>
    public Failure? Failure { get; init; }

    /// <summary>Why it was skipped (with a result: a part of it was).</summary>
    public string? SkipReason { get; init; }

    /// <summary>The item's last span where it ran (links from the stages after it), or default.</summary>
    public ActivityContext Span { get; init; }

    /// <summary>What each stage did with it, in order.</summary>
    public IReadOnlyList<SegmentStep> Steps { get; init; } = [];

    /// <summary>Which of the executor's workers ran it (a lane in the report's timeline).</summary>
    public int Worker { get; init; }

    /// <summary>Cancelled before it was done.</summary>
    public static SegmentOutcome Cancelled { get; } = new() { End = SegmentEnd.Cancelled };

    /// <summary>Failed with <paramref name="failure"/>.</summary>
    public static SegmentOutcome Failing(Failure failure) => new() { End = SegmentEnd.Failed, Failure = failure };
}
