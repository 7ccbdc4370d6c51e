using System.Diagnostics.Tracing;

namespace QcPipeline.Telemetry;

/// <summary>
/// Watches the OTLP exporter's events (it reports failed sends only through its EventSource) and calls
/// back on each failure; the session turns them into one warning per run.
/// </summary>
internal sealed class ExportFailureListener : EventListener
{
    private const string ExporterSource = "OpenTelemetry-Exporter-OpenTelemetryProtocol";

    // Failed sends the exporter logs as warnings (transient ones, e.g. gRPC's "connection refused"); the rest are errors.
    private static readonly HashSet<string> FailureWarnings = ["TransientHttpError", "RequestTimedOut", "OperationUnexpectedlyCanceled", "GrpcStatusWarning"];

    // Set after the base constructor, which may already call OnEventSourceCreated: every use checks for null.
    private readonly Uri? _endpoint;
    private readonly Action? _report;

    public ExportFailureListener(Uri endpoint, Action report)
    {
        _endpoint = endpoint;
        _report = report;
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == ExporterSource) EnableEvents(source, EventLevel.Warning);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        var failed = e.Level <= EventLevel.Error || FailureWarnings.Contains(e.EventName ?? "");
        if (failed && _endpoint is not null && _report is not null && IsOurs(e)) _report();
    }

    // Events that name a collector URL count only when it is ours (tests run several sessions in one process).
    private bool IsOurs(EventWrittenEventArgs e)
    {
        var urls = (e.Payload ?? []).OfType<string>().Where(s => s.Contains("://", StringComparison.Ordinal)).ToList();
        return urls.Count == 0 || urls.Any(u => u.Contains(_endpoint!.Authority, StringComparison.OrdinalIgnoreCase));
    }
}
