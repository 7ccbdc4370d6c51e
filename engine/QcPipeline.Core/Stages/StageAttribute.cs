namespace QcPipeline.Core.Stages;

/// <summary>Registers a stage class under its YAML type name, with the summary shown by `stages`.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class StageAttribute(string type, string summary) : Attribute
{
    /// <summary>The YAML type name.</summary>
    public string Type { get; } = type;
    /// <summary>One sentence for `stages` and the reference.</summary>
    public string Summary { get; } = summary;

    /// <summary>Workers when the job does not say: a number or "auto".</summary>
    public string DefaultWorkers { get; init; } = "1";
}
