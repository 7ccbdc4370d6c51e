namespace QcPipeline.Core.Stages;

/// <summary>Registers a stage class under its YAML type name, with the summary shown by `stages`.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class StageAttribute(string type, string summary) : Attribute
{
    public string Type { get; } = type;
    public string Summary { get; } = summary;

    /// <summary>Workers when the job does not say: a number or "auto".</summary>
    public string DefaultWorkers { get; init; } = "1";
}
