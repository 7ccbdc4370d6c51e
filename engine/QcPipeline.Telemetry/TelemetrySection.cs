using QcPipeline.Core.Stages;

namespace QcPipeline.Telemetry;

/// <summary>Adds the export keys of the job's telemetry: section (<see cref="TelemetryExportOptions"/>) to a registry.</summary>
public static class TelemetrySection
{
    /// <summary>The job section these keys are added to.</summary>
    public const string Name = "telemetry";

    /// <summary>Registers telemetry.metrics, .endpoint, .protocol, .service_name and .trace_file.</summary>
    public static StageRegistry AddTelemetry(this StageRegistry registry) => registry.ExtendJobSection<TelemetryExportOptions>(Name);
}
