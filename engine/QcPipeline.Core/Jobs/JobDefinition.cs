using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Jobs;

/// <summary>A job as read from its file: checked options, ready for the graph compiler.</summary>
public sealed class JobDefinition
{
    /// <summary>The job file (absolute).</summary>
    public required string File { get; init; }
    /// <summary>The folder of the job file (relative paths start here).</summary>
    public required string Directory { get; init; }
    /// <summary>The job's own keys.</summary>
    public required JobOptions Options { get; init; }
    /// <summary>The named connections, bound to their options classes.</summary>
    public required IReadOnlyDictionary<string, object> Connections { get; init; }
    /// <summary>The stages, in file order.</summary>
    public required IReadOnlyList<StageDefinition> Stages { get; init; }

    /// <summary>Where each option was written (for problems found after binding).</summary>
    public required OptionLocations Locations { get; init; }

    /// <summary>The sections other projects registered (see <see cref="JobSectionType"/>), bound, by options class.</summary>
    public IReadOnlyDictionary<Type, object> Sections { get; init; } = new Dictionary<Type, object>();

    /// <summary>The bound section of this options class; its defaults when the registry that read the job has none.</summary>
    public T Section<T>() where T : class, new() => Sections.TryGetValue(typeof(T), out var s) ? (T)s : new T();

    /// <summary>The job as it runs: its YAML after --set and ${VAR} (with $ written as $$, so reading it again
    /// changes nothing). Secrets in it are only their env:/file: references, and paths are as written: another
    /// machine that loads it resolves both from its own environment.</summary>
    public string Document { get; init; } = "";

    /// <summary>The job's name.</summary>
    public string Name => Options.Job;
}

/// <summary>One stage of a job: its common keys, its type's options, and where it was written.</summary>
public sealed class StageDefinition
{
    /// <summary>The stage's name (its key under stages:).</summary>
    public required string Name { get; init; }
    /// <summary>Its type, or null when the type is unknown (already reported).</summary>
    public required StageDescriptor? Descriptor { get; init; }
    /// <summary>The keys every stage has.</summary>
    public required CommonStageOptions Common { get; init; }
    /// <summary>Its type's own options, bound.</summary>
    public required object Options { get; init; }
    /// <summary>Where the stage is written.</summary>
    public required SourceLocation Location { get; init; }
    /// <summary>Where its from: is written (else the stage).</summary>
    public required SourceLocation FromLocation { get; init; }
    /// <summary>Its type name as written.</summary>
    public string Type => Common.Type;
}
