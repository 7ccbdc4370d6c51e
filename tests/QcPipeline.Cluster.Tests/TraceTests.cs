using QcPipeline.Core.Jobs;
using QcPipeline.Telemetry;

namespace QcPipeline.Cluster.Tests;

/// <summary>One trace across machines: the workers' spans continue the coordinator's trace (W3C traceparent in
/// the messages) and say which worker and host ran them.</summary>
public sealed class TraceTests : IDisposable
{
    private readonly ClusterSite _site = new();

    [Fact]
    public async Task Workers_spans_belong_to_the_coordinators_trace_and_name_their_worker_and_host()
    {
        using var receiver = new OtlpReceiver();
        var workers = new[] { _site.StartWorker("t1"), _site.StartWorker("t2") };
        var telemetry = $"telemetry: {{endpoint: '{receiver.Endpoint}', protocol: http/protobuf, metrics: false}}\n";
        var yaml = telemetry + _site.Job(delay: "5ms");
        var job = new JobLoader(Cli.StageCatalog.Create()).Parse(yaml, Path.Combine(_site.Output, "job.yaml"));
        Core.Runtime.RunResult result;
        using (var session = TelemetrySession.Start(job.Options.Telemetry, job.Section<TelemetryExportOptions>(), "cluster-test", _ => { }))
        {
            (result, _) = await _site.CoordinateAsync(yaml);
            session.Flush();
        }
        foreach (var w in workers) w.WaitFor("left run", TimeSpan.FromSeconds(30)); // their spans are exported as they leave
        // An OTLP exporter may send a batch again (it retries a slow answer): spans count once by their id.
        // Only this run's trace (other tests' runs in this process may export here too).
        var spans = receiver.Spans.DistinctBy(s => s.SpanId).Where(s => s.TraceId == result.TraceId).ToList();
        var remote = spans.Where(s => s.Attributes.ContainsKey("qc.cluster.worker")).ToList();
        Assert.NotEmpty(remote);
        Assert.All(remote, s => Assert.Equal(result.TraceId, s.TraceId));
        Assert.Equal(["t1", "t2"], remote.Select(s => (string)s["qc.cluster.worker"]!).Distinct().Order());
        Assert.All(remote, s => Assert.Equal(Environment.MachineName, s["host.name"]));
        // Every photo has its gps span on a worker; a slow machine may let ack_wait (1 s) pass and the item be
        // delivered again (at least once), which adds a span for the same item, never one for another.
        var gps = remote.Where(s => s.Name == "gps").ToList();
        Assert.Equal(_site.Photos, gps.Select(s => (string)s["qc.item"]!).Distinct().Count());
        Assert.True(gps.Count <= 2 * _site.Photos, $"{gps.Count} gps spans for {_site.Photos} photos (max_deliver is 2)");
        // Each item's first span on a worker hangs under the coordinator's span that sent it.
        var sent = spans.Where(s => s.Name == "fetch..gps").Select(s => s.SpanId).ToHashSet();
        Assert.Equal(_site.Photos, sent.Count);
        Assert.All(remote.Where(s => s.Name == "fetch"), s => Assert.Contains(s.ParentSpanId!, sent));
    }

    public void Dispose() => _site.Dispose();
}
