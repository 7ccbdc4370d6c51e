using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using QcPipeline.Core.Runtime;

namespace QcPipeline.Service;

/// <summary>
/// The server's own spans and the metrics /metrics serves. Each inspection request is a span of its own trace (or
/// of the caller's, when it sends a W3C traceparent); the image's stage spans, its ROIs' among them, go beneath it.
/// /metrics is OpenTelemetry's Prometheus exporter over the engine's meter (per-stage items, latency, queues,
/// pools, bytes), ASP.NET Core's HTTP server meters and the server's own gauges.
/// </summary>
public static class ServiceTelemetry
{
    /// <summary>The server's ActivitySource and Meter name.</summary>
    public const string SourceName = "QcPipeline.Service";

    /// <summary>The request spans.</summary>
    public static readonly ActivitySource Source = new(SourceName, "1.0");

    /// <summary>A span for one request, of route <paramref name="route"/> (null when nobody listens).</summary>
    public static Activity? StartRequest(HttpContext http, string route)
    {
        var headers = http.Request.Headers;
        ActivityContext.TryParse(headers.TraceParent.ToString(), headers.TraceState.ToString(), isRemote: true, out var parent);
        var previous = Activity.Current;
        Activity.Current = null; // a request is the root of its own trace, unless its caller sent one
        var span = Source.StartActivity($"{http.Request.Method} {route}", ActivityKind.Server, parent);
        Activity.Current = previous;
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("http.request.method", http.Request.Method);
            span.SetTag("http.route", route);
            span.SetTag("url.path", http.Request.Path.Value);
        }
        if (span is not null) http.Response.Headers["X-Trace-Id"] = span.TraceId.ToHexString();
        return span;
    }

    /// <summary>Ends a request span with its status.</summary>
    public static void Finish(Activity? span, int status, string? error)
    {
        if (span is null) return;
        span.SetTag("http.response.status_code", status);
        if (status >= 500 || error is not null) span.SetStatus(ActivityStatusCode.Error, error);
        span.Dispose();
    }

    /// <summary>The metrics behind /metrics, with the server's own gauges (dispose with the server).</summary>
    public static ServiceMetrics StartMetrics(Func<int> pendingInspections, Func<int> runningRuns)
    {
        var meter = new Meter(SourceName, "1.0");
        meter.CreateObservableGauge("qc.service.pending", pendingInspections, "{request}", "Inspections in the server now (being uploaded, queued or checked).");
        meter.CreateObservableGauge("qc.service.runs", runningRuns, "{run}", "Batch runs in progress.");
        var provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(PipelineTelemetry.SourceName, SourceName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            // Stages take from tens of microseconds to minutes: finer buckets than the default's 0, 5, 10, 25 ms….
            .AddView(PipelineTelemetry.ItemDurationName, new ExplicitBucketHistogramConfiguration
            {
                Boundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000],
            })
            .AddPrometheusExporter()
            .Build();
        return new ServiceMetrics(provider, meter);
    }
}

/// <summary>The Prometheus exporter's meter provider and the server's gauges.</summary>
public sealed class ServiceMetrics(MeterProvider provider, Meter meter) : IDisposable
{
    /// <summary>What /metrics is scraped from.</summary>
    public MeterProvider Provider { get; } = provider;

    /// <inheritdoc/>
    public void Dispose()
    {
        Provider.Dispose();
        meter.Dispose();
    }
}
