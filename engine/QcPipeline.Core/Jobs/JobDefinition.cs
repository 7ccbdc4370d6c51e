using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Jobs;

/// <summary>A job as read from its file: checked options, ready for the graph compiler.</summary>
public sealed class JobDefinition
{
    public required string File { get; init; }
    public required string Directory { get; init; }
    public required JobOptions Options { get; init; }
    public required IReadOnlyDictionary<string, object> Connections { get; init; }
    public required IReadOnlyList<StageDefinition> Stages { get; init; }

    /// <summary>Where each option was written (for problems found after binding).</summary>
    public required OptionLocations Locations { get; init; }

    /// <summary>The job-level sections other projects registered (e.g. cluster:), bound, by name.</summary>
    public IReadOnlyDictionary<string, object> Sections { get; init; } = new Dictionary<string, object>();

    /// <summary>The job as it runs: its YAML after --set and ${VAR} (with $ written as $$, so reading it again
    /// changes nothing). Secrets in it are only their env:/file: references, and paths are as written: another
    /// machine that loads it resolves both from its own environment.</summary>
    public string Document { get; init; } = "";

    public string Name => Options.Job;
}

/// <summary>One stage of a job: its common keys, its type's options, and where it was written.</summary>
public sealed class StageDefinition
{
    public required string Name { get; init; }
    public required StageDescriptor? Descriptor { get; init; }
    public required CommonStageOptions Common { get; init; }
    public required object Options { get; init; }
    public required SourceLocation Location { get; init; }
    public required SourceLocation FromLocation { get; init; }
    public string Type => Common.Type;
}
