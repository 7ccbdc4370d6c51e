using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;

namespace QcPipeline.Telemetry;

/// <summary>
/// The OpenTelemetry SDK for one run: listens to the engine's ActivitySource and Meter ("QcPipeline"),
/// exports over OTLP and/or writes the trace as Jaeger JSON. Telemetry never fails a run: an unreachable
/// collector or a bad setting is one warning. With no endpoint and no trace file nothing listens, so the
/// engine creates no spans at all.
/// </summary>
public sealed class TelemetrySession : IDisposable
{
    private const int FlushTimeoutMs = 10_000;
    private readonly TracerProvider? _tracer;
    private readonly MeterProvider? _meter;
    private readonly JaegerFileProcessor? _jaeger;
    private readonly ExportFailureListener? _failures;
    private readonly Action<string> _warn;
    private int _collectorWarned;
    private bool _flushed, _disposed;

    /// <summary>The OTLP endpoint after the job and OTEL_EXPORTER_OTLP_ENDPOINT are applied; null: no export.</summary>
    public Uri? Endpoint { get; }

    /// <summary>The OTLP endpoint traces go to (the traces URL for http/protobuf), or null when nothing is exported.</summary>
    public Uri? TracesEndpoint { get; }

    /// <summary>"grpc" or "http/protobuf", after the job and the OTEL_* variables are applied.</summary>
    public string Protocol { get; }

    /// <summary>service.name on every span and metric (the job's setting, else OTEL_SERVICE_NAME, else "qcpipeline").</summary>
    public string ServiceName { get; }

    private TelemetrySession(bool traces, TelemetryExportOptions options, string jobName, Action<string> warn, Func<string, string?> env, IReadOnlyList<string> sources)
    {
        _warn = warn;
        ServiceName = First(options.ServiceName, env("OTEL_SERVICE_NAME")) ?? "qcpipeline";
        Protocol = ResolveProtocol(First(options.Protocol, env("OTEL_EXPORTER_OTLP_PROTOCOL")), warn);
        var endpoint = Endpoint = ResolveEndpoint(First(options.Endpoint, env("OTEL_EXPORTER_OTLP_ENDPOINT")), warn);
        var traceFile = options.TraceFile.Length > 0 ? Path.GetFullPath(options.TraceFile) : null;

        var resource = ResourceBuilder.CreateEmpty()
            .AddService(ServiceName, serviceVersion: typeof(TelemetrySession).Assembly.GetName().Version?.ToString(3))
            .AddAttributes([new(PipelineTelemetry.JobTag, jobName)]);
        var protocol = Protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;

        if (endpoint is not null && (traces || options.Metrics))
            _failures = new ExportFailureListener(endpoint, () => WarnCollector(
                $"telemetry: the OTLP collector at {endpoint} ({Protocol}) could not take this run's data; traces and metrics are not exported (the run goes on)"));

        if (traces && (endpoint is not null || traceFile is not null))
        {
            var builder = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource([PipelineTelemetry.SourceName, .. sources])
                .SetSampler(new ParentBasedSampler(new AlwaysOnSampler())); // the engine samples items itself
            if (traceFile is not null)
            {
                _jaeger = new JaegerFileProcessor(traceFile, ServiceName, jobName);
                builder.AddProcessor(_jaeger);
            }
            if (endpoint is not null)
            {
                TracesEndpoint = SignalUri(endpoint, protocol, "traces");
                builder.AddOtlpExporter(o =>
                {
                    o.Endpoint = TracesEndpoint;
                    o.Protocol = protocol;
                    // A run makes spans in bursts: a deep queue, drained every second, drops none.
                    if (env("OTEL_BSP_MAX_QUEUE_SIZE") is null) o.BatchExportProcessorOptions.MaxQueueSize = 1 << 17;
                    if (env("OTEL_BSP_SCHEDULE_DELAY") is null) o.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 1000;
                });
            }
            _tracer = builder.Build();
        }
        else if (traceFile is not null)
            warn("telemetry: trace_file is set but traces are off (telemetry.traces: false); no trace file is written");

        if (options.Metrics && endpoint is not null)
        {
            _meter = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(PipelineTelemetry.SourceName)
                .AddOtlpExporter((o, reader) =>
                {
                    o.Endpoint = SignalUri(endpoint, protocol, "metrics");
                    o.Protocol = protocol;
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 5000;
                })
                .Build();
        }
    }

    /// <summary>Starts telemetry for a run of <paramref name="job"/>: what its telemetry: section records and where it
    /// goes. <paramref name="warn"/> receives at most one line per problem; <paramref name="sources"/> are further
    /// ActivitySources whose spans are exported (a server's request spans, parents of its items' spans).</summary>
    public static TelemetrySession Start(JobDefinition job, Action<string> warn, IReadOnlyList<string>? sources = null,
        Func<string, string?>? environment = null) =>
        Start(job.Options.Telemetry, job.Section<TelemetryExportOptions>(), job.Name, warn, environment, sources);

    /// <summary>As <see cref="Start(JobDefinition, Action{string}, IReadOnlyList{string}, Func{string, string})"/>, with the
    /// section's keys given; <paramref name="environment"/> stands for the process's OTEL_* variables (tests).</summary>
    public static TelemetrySession Start(TelemetryOptions recorded, TelemetryExportOptions export, string jobName, Action<string> warn,
        Func<string, string?>? environment = null, IReadOnlyList<string>? sources = null)
    {
        try { return new TelemetrySession(recorded.Traces, export, jobName, warn, environment ?? Environment.GetEnvironmentVariable, sources ?? []); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            // Telemetry is never a reason for a job not to run.
            warn($"telemetry: could not be set up ({e.Message}); the run goes on without it");
            return new TelemetrySession(false, new TelemetryExportOptions { Metrics = false }, jobName, warn, _ => null, []);
        }
    }

    /// <summary>Sends what is buffered (before the process exits) and writes the trace file.</summary>
    public void Flush()
    {
        if (_flushed) return;
        _flushed = true;
        var complete = _tracer?.ForceFlush(FlushTimeoutMs) ?? true;
        // Once the collector has failed, waiting again for the metrics would only delay the exit.
        if (_meter is not null) complete &= _meter.ForceFlush(complete ? FlushTimeoutMs : 100);
        if (!complete)
            WarnCollector($"telemetry: not everything was exported within {FlushTimeoutMs / 1000} s; the OTLP collector at {Endpoint} is slow or unreachable");
        if (_jaeger is not null)
        {
            try
            {
                var written = _jaeger.Write();
                if (_jaeger.Dropped > 0)
                    _warn($"telemetry: the trace file holds the first {written:N0} spans; {_jaeger.Dropped:N0} more were left out");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _warn($"telemetry: the trace file {_jaeger.Path} could not be written: {e.Message}");
            }
        }
    }

    /// <summary>Flushes what is pending, then stops the exporters.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Flush();
        _disposed = true;
        // Everything was flushed above: shutting down only stops the exporters' threads.
        _tracer?.Shutdown(1000);
        _tracer?.Dispose();
        _meter?.Shutdown(1000);
        _meter?.Dispose();
        _failures?.Dispose();
    }

    /// <summary>A collector problem is reported once per run, whatever noticed it first.</summary>
    private void WarnCollector(string message)
    {
        if (Interlocked.Exchange(ref _collectorWarned, 1) == 0) _warn(message);
    }

    private static string? First(string configured, string? fromEnv) =>
        configured.Length > 0 ? configured : string.IsNullOrWhiteSpace(fromEnv) ? null : fromEnv.Trim();

    private static string ResolveProtocol(string? value, Action<string> warn)
    {
        switch (value)
        {
            case null or "grpc": return "grpc";
            case "http/protobuf": return "http/protobuf";
            default:
                warn($"telemetry: OTLP protocol '{value}' is not supported (grpc or http/protobuf); using grpc");
                return "grpc";
        }
    }

    private static Uri? ResolveEndpoint(string? value, Action<string> warn)
    {
        if (value is null) return null;
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0) return uri;
        warn($"telemetry: OTLP endpoint '{value}' is not an http(s) URL like http://localhost:4317; nothing is exported");
        return null;
    }

    /// <summary>gRPC takes the endpoint as is; OTLP/HTTP posts each signal to BASE/v1/{signal}.</summary>
    internal static Uri SignalUri(Uri endpoint, OtlpExportProtocol protocol, string signal)
    {
        if (protocol == OtlpExportProtocol.Grpc) return endpoint;
        var path = endpoint.AbsolutePath.TrimEnd('/');
        foreach (var known in new[] { "/v1/traces", "/v1/metrics" })
            if (path.EndsWith(known, StringComparison.Ordinal)) path = path[..^known.Length];
        return new UriBuilder(endpoint) { Path = $"{path}/v1/{signal}" }.Uri;
    }
}
