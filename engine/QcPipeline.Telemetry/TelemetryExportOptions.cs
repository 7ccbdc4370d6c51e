using QcPipeline.Core.Options;

namespace QcPipeline.Telemetry;

/// <summary>
/// Where a run's traces and metrics go: the keys this project adds to the job's telemetry: section (the engine's
/// own keys there say what is recorded). The standard OTEL_* variables apply where these are unset.
/// </summary>
public sealed class TelemetryExportOptions
{
    /// <summary>Export metrics (items, latency, queues, connections, bytes) with the traces.</summary>
    [Option("Export metrics (items, latency, queues, connections, bytes) with the traces.")]
    public bool Metrics { get; init; } = true;

    /// <summary>OTLP endpoint, e.g. http://localhost:4317 (gRPC) or http://localhost:4318 (HTTP). Default: OTEL_EXPORTER_OTLP_ENDPOINT; unset: no export.</summary>
    [Option("OTLP endpoint, e.g. http://localhost:4317 (gRPC) or http://localhost:4318 (HTTP). Default: OTEL_EXPORTER_OTLP_ENDPOINT; unset: no export.")]
    public string Endpoint { get; init; } = "";

    /// <summary>OTLP protocol. Default: OTEL_EXPORTER_OTLP_PROTOCOL, else grpc.</summary>
    [Option("OTLP protocol. Default: OTEL_EXPORTER_OTLP_PROTOCOL, else grpc.", Allowed = ["", "grpc", "http/protobuf"])]
    public string Protocol { get; init; } = "";

    /// <summary>Service name in traces. Default: OTEL_SERVICE_NAME, else qcpipeline.</summary>
    [Option("Service name in traces. Default: OTEL_SERVICE_NAME, else qcpipeline.")]
    public string ServiceName { get; init; } = "";

    /// <summary>Also write the run's trace as Jaeger JSON to this file (Jaeger UI opens it offline).</summary>
    [Option("Also write the run's trace as Jaeger JSON to this file (Jaeger UI opens it offline).", IsPath = true)]
    public string TraceFile { get; init; } = "";
}
