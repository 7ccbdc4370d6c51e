using QcPipeline.Core.Options;

namespace QcPipeline.Core.Jobs;

/// <summary>Where a run writes its files.</summary>
public sealed class OutputOptions
{
    /// <summary>The output folder. Default: out/JOB-TIME under the current folder; --out overrides it.</summary>
    [Option("The output folder. Default: out/JOB-TIME under the current folder; --out overrides it.", IsPath = true)]
    public string Dir { get; init; } = "";

    /// <summary>Write report.html, a self-contained run report, into the output folder.</summary>
    [Option("Write report.html, a self-contained run report, into the output folder.")]
    public bool Report { get; init; } = true;

    /// <summary>Per-item timings kept for the report's timeline, at most (0: none); a longer run keeps a sample of whole items spread over the run, so memory stays flat.</summary>
    [Option("Per-item timings kept for the report's timeline, at most (0: none); a longer run keeps a sample of whole items spread over the run, so memory stays flat.", Min = 0, Max = 10_000_000)]
    public int TimelineLimit { get; init; } = DefaultTimelineLimit;

    /// <summary>Enough for every item of a 10k-item job at four stages; a longer run keeps a sample of that size.</summary>
    public const int DefaultTimelineLimit = 50_000;
}

/// <summary>What a run records about itself as it goes: a span per item per stage, for all items or a sample. Where
/// the spans and metrics go is for the project that exports them (it adds its keys to this section).</summary>
public sealed class TelemetryOptions
{
    /// <summary>Record a span per item per stage.</summary>
    [Option("Record a span per item per stage.")]
    public bool Traces { get; init; } = true;

    /// <summary>Share of items whose spans are kept (failed items are always kept).</summary>
    [Option("Share of items whose spans are kept (failed items are always kept).", Min = 0, Max = 1)]
    public double SampleRatio { get; init; } = 1.0;
}

/// <summary>The top of a job file, beside its `connections` and `stages`.</summary>
public sealed class JobOptions : IValidatedOptions
{
    /// <summary>The job's name: output folders, traces and reports carry it.</summary>
    [Option("The job's name: output folders, traces and reports carry it.", Required = true)]
    public string Job { get; init; } = "";

    /// <summary>What the job does.</summary>
    [Option("What the job does.")]
    public string Description { get; init; } = "";

    /// <summary>Failed items allowed before the run counts as failed (exit 1): a count like 10, or a share like 5%.</summary>
    [Option("Failed items allowed before the run counts as failed (exit 1): a count like 10, or a share like 5%.")]
    public string ErrorBudget { get; init; } = "0";

    /// <summary>After Ctrl+C, how long items already being processed may take to finish before they are abandoned.</summary>
    [Option("After Ctrl+C, how long items already being processed may take to finish before they are abandoned.")]
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Output files.</summary>
    [Option("Output files.")]
    public OutputOptions Outputs { get; init; } = new();

    /// <summary>Traces and metrics.</summary>
    [Option("Traces and metrics.")]
    public TelemetryOptions Telemetry { get; init; } = new();

    /// <summary>Keys handled beside the declared ones (and beside the sections other projects register).</summary>
    public static readonly string[] SectionKeys = ["connections", "stages"];

    /// <inheritdoc/>
    public void Validate(OptionsCheck check)
    {
        if (!ErrorBudgetParser.TryParse(ErrorBudget, out _, out _))
            check.Error("error_budget", $"error_budget '{ErrorBudget}' is not a count (10) or a share (5%)");
    }

    /// <summary>True when <paramref name="failed"/> of <paramref name="total"/> items exceed the budget.</summary>
    public bool BudgetExceeded(long failed, long total)
    {
        if (!ErrorBudgetParser.TryParse(ErrorBudget, out var count, out var share)) return failed > 0;
        return share is { } s ? failed > s / 100.0 * total : failed > count;
    }
}

/// <summary>Reads an error budget: a count ("10") or a share ("5%").</summary>
public static class ErrorBudgetParser
{
    /// <summary>The count, or the share in percent; false when the text is neither.</summary>
    public static bool TryParse(string text, out long count, out double? percent)
    {
        count = 0; percent = null;
        text = text.Trim();
        if (text.EndsWith('%'))
        {
            if (double.TryParse(text[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var p)
                && p is >= 0 and <= 100) { percent = p; return true; }
            return false;
        }
        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count);
    }
}
