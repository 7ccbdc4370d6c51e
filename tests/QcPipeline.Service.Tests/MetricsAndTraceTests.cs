using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using QcPipeline.Core.Runtime;
using Xunit;

namespace QcPipeline.Service.Tests;

/// <summary>/metrics is Prometheus text with the engine's per-stage metrics; each request is a trace with its ROI
/// spans beneath it (or part of the caller's trace, when it sends a traceparent).</summary>
public sealed class MetricsAndTraceTests
{
    [Fact]
    public async Task Metrics_are_prometheus_text_with_the_per_stage_metrics()
    {
        await using var server = await TestServer.StartAsync();
        for (var i = 0; i < 3; i++) Assert.Equal(200, (await server.PostImageAsync("pass-exact.png")).Status);
        var response = await server.Client.GetAsync("/metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var (samples, types) = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("counter", types["qc_items_total"]);
        Assert.Equal("histogram", types["qc_item_duration_milliseconds"]);
        Assert.Equal("gauge", types["qc_queue_depth"]);
        Assert.Equal("gauge", types["qc_service_pending"]);
        // Four ROIs an image, each checked: at least 12 ok items at the check stage (other tests in this process add theirs).
        var checks = samples.Where(s => s.Name == "qc_items_total" && s.Labels["qc_stage"] == "check" && s.Labels["qc_outcome"] == "ok").Sum(s => s.Value);
        Assert.True(checks >= 12, $"check ok items: {checks}");
        var buckets = samples.Where(s => s.Name == "qc_item_duration_milliseconds_bucket" && s.Labels["qc_stage"] == "check").ToList();
        Assert.Contains(buckets, b => b.Labels["le"] == "+Inf");
        Assert.Equal(buckets.Select(b => b.Value).Order(), buckets.Select(b => b.Value)); // cumulative
        Assert.Contains(samples, s => s.Name == "qc_queue_depth" && s.Labels["qc_stage"] == "load");
        Assert.Contains(samples, s => s.Name.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_request_is_a_trace_with_its_roi_spans_beneath_it()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is PipelineTelemetry.SourceName or ServiceTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var server = await TestServer.StartAsync();

        var (status, _, response) = await server.PostImageAsync("fail-scratch.png");
        Assert.Equal(200, status);
        var traceId = Assert.Single(response.Headers.GetValues("X-Trace-Id"));
        var trace = spans.Where(s => s.TraceId.ToHexString() == traceId).ToList();
        var request = Assert.Single(trace, s => s.Kind == ActivityKind.Server);
        Assert.Equal("POST /v1/inspect", request.DisplayName);
        Assert.Equal(default, request.ParentSpanId);                       // the root of its own trace
        Assert.Equal(200, request.GetTagItem("http.response.status_code"));
        var fanout = Assert.Single(trace, s => s.DisplayName == "rois");
        Assert.Equal(request.SpanId, fanout.ParentSpanId);
        var rois = trace.Where(s => s.DisplayName == "check").ToList();
        Assert.Equal(4, rois.Count);                                       // label, pads, led, connector
        Assert.All(rois, r => Assert.Equal(fanout.SpanId, r.ParentSpanId));
        Assert.Contains(trace, s => s.DisplayName == "verdict" && s.ParentSpanId == request.SpanId);

        // A caller's traceparent makes the request part of the caller's trace.
        var caller = ActivityTraceId.CreateRandom();
        var parentSpan = ActivitySpanId.CreateRandom();
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/inspect") { Content = TestServer.Png(TestServer.Sample("pass-exact.png")) };
        message.Headers.Add("traceparent", $"00-{caller.ToHexString()}-{parentSpan.ToHexString()}-01");
        var answered = await server.Client.SendAsync(message);
        Assert.Equal(caller.ToHexString(), Assert.Single(answered.Headers.GetValues("X-Trace-Id")));
        var joined = Assert.Single(spans, s => s.TraceId == caller && s.Kind == ActivityKind.Server);
        Assert.Equal(parentSpan, joined.ParentSpanId);
        Assert.Equal(4, spans.Count(s => s.TraceId == caller && s.DisplayName == "check"));
    }
}
