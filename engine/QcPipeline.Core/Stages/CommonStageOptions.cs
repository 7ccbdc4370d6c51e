using QcPipeline.Core.Options;

namespace QcPipeline.Core.Stages;

/// <summary>What to do when an item fails after its last attempt.</summary>
public enum ErrorPolicy
{
    /// <summary>Record the failure and go on with the other items.</summary>
    Continue,
    /// <summary>Stop the whole run (exit 1).</summary>
    Fail,
    /// <summary>Record it, go on, and also append the item to dead-letter.jsonl in the output folder.</summary>
    DeadLetter,
}

/// <summary>Retries of a failing item, with exponential backoff and jitter.</summary>
public sealed class RetryOptions : IValidatedOptions
{
    /// <summary>Attempts per item, the first one included (1: no retry). Only transient errors are retried.</summary>
    [Option("Attempts per item, the first one included (1: no retry). Only transient errors are retried.", Min = 1, Max = 100)]
    public int Attempts { get; init; } = 3;

    /// <summary>Delay before the first retry; it doubles at each further retry.</summary>
    [Option("Delay before the first retry; it doubles at each further retry.")]
    public TimeSpan Backoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest delay between two attempts.</summary>
    [Option("Longest delay between two attempts.")]
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <inheritdoc/>
    public void Validate(OptionsCheck check)
    {
        if (check.IsSet("backoff") && check.IsSet("max_backoff") && Backoff > MaxBackoff)
            check.Error("max_backoff", $"'max_backoff' in {check.Where} ({Duration.Format(MaxBackoff)}) is shorter than 'backoff' ({Duration.Format(Backoff)})");
    }
}

/// <summary>The keys every stage has, whatever its type.</summary>
public sealed class CommonStageOptions : IValidatedOptions
{
    /// <summary>The shortest timeout an attempt can have (what Polly's timeout accepts).</summary>
    public static readonly TimeSpan ShortestTimeout = TimeSpan.FromMilliseconds(10);

    /// <summary>The stage type.</summary>
    [Option("The stage type (see `qcpipeline stages`).", Required = true)]
    public string Type { get; init; } = "";

    /// <summary>The stage(s) this one reads from. Default: the stage above it in the file. Several names join their outputs.</summary>
    [Option("The stage(s) this one reads from. Default: the stage above it in the file. Several names join their outputs.")]
    public string[] From { get; init; } = [];

    /// <summary>Items processed at once (MaxDegreeOfParallelism); for stages with a client pool also the pool size. A number or auto.</summary>
    [Option("Items processed at once (MaxDegreeOfParallelism); for stages with a client pool also the pool size. A number or auto.")]
    public Workers Workers { get; init; } = new(1);

    /// <summary>Items that may wait in front of the stage (BoundedCapacity). 0: four per worker, at least 16.</summary>
    [Option("Items that may wait in front of the stage (BoundedCapacity). 0: four per worker, at least 16.", Min = 0, Max = 1_000_000)]
    public int Capacity { get; init; }

    /// <summary>Retries of items that fail with a transient error.</summary>
    [Option("Retries of items that fail with a transient error.")]
    public RetryOptions Retry { get; init; } = new();

    /// <summary>Longest time one attempt at one item may take (0 or none: no limit; else at least 10ms).</summary>
    [Option("Longest time one attempt at one item may take (0 or none: no limit; else at least 10ms).")]
    public TimeSpan Timeout { get; init; }

    /// <summary>What a failed item does to the run.</summary>
    [Option("What a failed item does to the run.")]
    public ErrorPolicy OnError { get; init; } = ErrorPolicy.Continue;

    /// <inheritdoc/>
    public void Validate(OptionsCheck check)
    {
        if (Timeout > TimeSpan.Zero && Timeout < ShortestTimeout)
            check.Error("timeout", $"'timeout' in {check.Where}: {Duration.Format(Timeout)} is too short (0 for none, else at least {Duration.Format(ShortestTimeout)})");
    }

    /// <summary>The YAML names of these keys, which stage types may not reuse.</summary>
    public static IReadOnlyCollection<string> Names { get; } = OptionSpec.For(typeof(CommonStageOptions)).Select(s => s.Name).ToHashSet();
}
