using System.Text.Json;
using QcPipeline.Core.Runtime;
using Xunit;

namespace QcPipeline.Telemetry.Tests;

/// <summary>A real pipeline run exported over OTLP/HTTP to a real receiver; the span tree it receives.</summary>
public sealed class TraceTests
{
    private static readonly string[] ItemStages = ["read", "split", "check", "join", "collect"];

    [Fact]
    public async Task A_run_exports_one_trace_with_a_span_per_item_per_stage()
    {
        using var receiver = new OtlpReceiver();
        using var p = new TestPipeline(good: 6, bad: 2);
        var traceFile = Path.Combine(p.Root, "trace.json");
        var (result, warnings) = await p.RunAsync(
            $"{{ endpoint: \"{receiver.Endpoint}\", protocol: http/protobuf, service_name: qc-test, trace_file: \"{traceFile}\" }}");

        Assert.Empty(warnings);
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.Equal(p.BadFiles.Count(), (int)result.Failed);
        Assert.NotNull(result.TraceId);
        var spans = receiver.SpansOf(result.TraceId!);
        Assert.All(receiver.Paths, path => Assert.Contains(path, new[] { "/v1/traces", "/v1/metrics" }));

        // One root: the job.
        var root = Assert.Single(spans, s => s.ParentSpanId is null);
        Assert.Equal("job telemetry-test", root.Name);
        Assert.Equal("telemetry-test", root["qc.job"]);
        Assert.Equal("qc-test", root.Resource["service.name"]);

        // One span per item per stage, named after the stage, carrying its stage and item.
        var good = p.GoodFiles.ToList();
        var bad = p.BadFiles.ToList();
        var lines = good.Sum(TestPipeline.LinesOf);
        var expected = new Dictionary<string, int>
        {
            ["read"] = good.Count + bad.Count, ["split"] = good.Count, ["check"] = lines,
            ["join"] = good.Count, ["collect"] = good.Count + bad.Count,
        };
        foreach (var (stage, count) in expected)
        {
            var ofStage = spans.Where(s => s.Name == stage).ToList();
            Assert.Equal(count, ofStage.Count);
            Assert.All(ofStage, s => Assert.Equal(stage, s["qc.stage"]));
            Assert.Equal(count, ofStage.Select(s => s.Key).Distinct().Count());
            Assert.All(ofStage, s => Assert.IsType<long>(s["qc.worker"]));
            Assert.All(ofStage, s => Assert.IsType<long>(s["qc.attempt"]));
        }
        Assert.Single(spans, s => s.Name == "collect flush");
        Assert.Equal(1 + expected.Values.Sum() + 1, spans.Count);

        // Reads ran on the stage's two workers and counted their bytes.
        var reads = spans.Where(s => s.Name == "read").ToList();
        Assert.All(reads, s => Assert.InRange((long)s["qc.worker"]!, 0, 1));
        foreach (var f in good)
            Assert.Equal(new FileInfo(f).Length, reads.Single(s => s.Key == f)["qc.bytes"]);

        // Fan-out: every line's span is a child of its file's split span.
        var splits = spans.Where(s => s.Name == "split").ToDictionary(s => s.Key);
        foreach (var check in spans.Where(s => s.Name == "check"))
        {
            var file = check.Key[..check.Key.LastIndexOf('#')];
            Assert.Equal(splits[file].SpanId, check.ParentSpanId);
        }

        // Join: linked to each of its file's line spans; the sink links to the join.
        var checks = spans.Where(s => s.Name == "check").ToList();
        foreach (var join in spans.Where(s => s.Name == "join"))
        {
            var mine = checks.Where(c => c.Key.StartsWith(join.Key + "#", StringComparison.Ordinal)).Select(c => c.SpanId).Order().ToList();
            Assert.Equal(TestPipeline.LinesOf(join.Key), mine.Count);
            Assert.Equal(mine, join.Links.Select(l => l.SpanId).Order().ToList());
            Assert.All(join.Links, l => Assert.Equal(result.TraceId, l.TraceId));
            Assert.Equal(root.SpanId, join.ParentSpanId);
            var collect = spans.Single(s => s.Name == "collect" && s.Key == join.Key);
            Assert.Contains(collect.Links, l => l.SpanId == join.SpanId);
        }

        // Failed items: error status with the reason and an exception event, after the retry (attempt 2).
        foreach (var f in bad)
        {
            var read = reads.Single(s => s.Key == f);
            Assert.Equal(2, read.StatusCode);
            Assert.Contains("checksum mismatch", read.StatusMessage);
            Assert.Equal(2L, read["qc.attempt"]);
            var ex = Assert.Single(read.Events, e => e.Name == "exception");
            Assert.Contains("checksum mismatch", (string)ex.Attributes["exception.message"]!);
            Assert.Equal(2, spans.Single(s => s.Name == "collect" && s.Key == f).StatusCode);
        }
        Assert.All(spans.Where(s => s.Name != "read" && s.Name != "collect" && s.Name != "job telemetry-test"), s => Assert.NotEqual(2, s.StatusCode));
        Assert.All(reads.Where(s => good.Contains(s.Key)), s => Assert.Equal(0, s.StatusCode));

        // The secret was used by the read stage, and appears nowhere in what was exported.
        Assert.All(spans, s => Assert.DoesNotContain(TestPipeline.Secret, Everything(s)));
        Assert.DoesNotContain(TestPipeline.Secret, File.ReadAllText(traceFile));

        // Metrics went with the traces.
        Assert.Contains("qc.items", receiver.MetricNames.Keys);
        Assert.Contains("qc.item.duration", receiver.MetricNames.Keys);

        // The same trace, as Jaeger JSON.
        AssertJaegerFile(traceFile, result.TraceId!, spans);
    }

    private static void AssertJaegerFile(string path, string traceId, List<OtlpSpan> exported)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var trace = Assert.Single(doc.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(traceId, trace.GetProperty("traceID").GetString());
        var spans = trace.GetProperty("spans").EnumerateArray().ToList();
        Assert.Equal(exported.Count, spans.Count);
        Assert.Equal("qc-test", trace.GetProperty("processes").GetProperty("p1").GetProperty("serviceName").GetString());
        var ids = spans.Select(s => s.GetProperty("spanID").GetString()!).ToHashSet();
        Assert.Equal(exported.Select(s => s.SpanId).ToHashSet(), ids);
        foreach (var s in spans)
        {
            Assert.Equal("p1", s.GetProperty("processID").GetString());
            Assert.True(s.GetProperty("startTime").GetInt64() > 0);
            Assert.True(s.GetProperty("duration").GetInt64() >= 0);
            var refs = s.GetProperty("references").EnumerateArray().ToList();
            var source = exported.Single(e => e.SpanId == s.GetProperty("spanID").GetString());
            Assert.Equal(source.ParentSpanId, refs.Where(r => r.GetProperty("refType").GetString() == "CHILD_OF").Select(r => r.GetProperty("spanID").GetString()).SingleOrDefault());
            Assert.Equal(source.Links.Count, refs.Count(r => r.GetProperty("refType").GetString() == "FOLLOWS_FROM"));
            Assert.All(refs, r => Assert.Contains(r.GetProperty("spanID").GetString()!, ids));
            var tags = s.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!, t => t.GetProperty("value").ToString());
            Assert.Equal(source.StatusCode == 2, tags.GetValueOrDefault("error") == "True");
        }
    }

    [Fact]
    public async Task Sampling_keeps_a_share_of_items_whole_and_every_failed_item()
    {
        using var receiver = new OtlpReceiver();
        using var p = new TestPipeline(good: 24, bad: 3);
        var (result, warnings) = await p.RunAsync($"{{ endpoint: \"{receiver.Endpoint}\", protocol: http/protobuf, metrics: false, sample_ratio: 0.5 }}");
        Assert.Empty(warnings);
        var spans = receiver.SpansOf(result.TraceId!);
        Assert.Single(spans, s => s.ParentSpanId is null);
        Assert.Empty(receiver.MetricNames);

        // An item is traced whole or not at all: its read, split, lines, join and collect spans together.
        var sampled = 0;
        foreach (var f in p.GoodFiles)
        {
            var mine = spans.Where(s => s.Attributes.TryGetValue("qc.item", out var k) && ((string)k!).StartsWith(f, StringComparison.Ordinal)).ToList();
            if (mine.Count == 0) continue;
            sampled++;
            Assert.Equal(4 + TestPipeline.LinesOf(f), mine.Count);
            Assert.Equal(ItemStages.Order(), mine.Select(s => s.Name).Distinct().Order());
        }
        Assert.InRange(sampled, 1, p.GoodFiles.Count() - 1);

        // Failed items are kept whatever the ratio, with their error.
        foreach (var f in p.BadFiles)
        {
            var read = Assert.Single(spans, s => s.Name == "read" && s.Key == f);
            Assert.Equal(2, read.StatusCode);
            Assert.Contains("checksum mismatch", read.StatusMessage);
        }
    }

    [Fact]
    public async Task Ratio_zero_still_traces_every_failed_item_with_its_error()
    {
        using var receiver = new OtlpReceiver();
        using var p = new TestPipeline(good: 5, bad: 2);
        var (result, _) = await p.RunAsync($"{{ endpoint: \"{receiver.Endpoint}\", protocol: http/protobuf, sample_ratio: 0 }}");
        var spans = receiver.SpansOf(result.TraceId!);
        var root = Assert.Single(spans, s => s.ParentSpanId is null);
        var items = spans.Where(s => s.Attributes.ContainsKey("qc.item")).ToList();
        // Only the failed files' spans: read (failed, after 2 attempts) and collect, under the job.
        Assert.Equal(p.BadFiles.Order(), items.Select(s => s.Key).Distinct().Order());
        foreach (var f in p.BadFiles)
        {
            var read = Assert.Single(items, s => s.Name == "read" && s.Key == f);
            Assert.Equal(2, read.StatusCode);
            Assert.Equal(2L, read["qc.attempt"]);
            Assert.Contains(read.Events, e => e.Name == "exception");
            Assert.Equal(root.SpanId, read.ParentSpanId);
            Assert.Single(items, s => s.Name == "collect" && s.Key == f);
        }
        Assert.All(items, s => Assert.DoesNotContain(TestPipeline.Secret, Everything(s)));
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task An_unreachable_collector_is_one_warning_and_the_run_succeeds(string protocol)
    {
        using var p = new TestPipeline(good: 30, bad: 0);
        var endpoint = $"http://127.0.0.1:{OtlpReceiver.FreePort()}";
        var (result, warnings) = await p.RunAsync($"{{ endpoint: \"{endpoint}\", protocol: {protocol} }}");
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.Equal(30, result.Processed);
        var warning = Assert.Single(warnings);
        Assert.Contains("OTLP collector", warning);
        Assert.Contains("127.0.0.1", warning);
        Assert.Contains(protocol, warning);
    }

    [Fact]
    public async Task The_standard_OTEL_variables_apply_when_the_job_says_nothing()
    {
        using var receiver = new OtlpReceiver();
        using var p = new TestPipeline(good: 2, bad: 0);
        var env = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint + "/",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "from-env",
        };
        var (result, warnings) = await p.RunAsync("{ metrics: false }", k => env.GetValueOrDefault(k));
        Assert.Empty(warnings);
        var spans = receiver.SpansOf(result.TraceId!);
        Assert.NotEmpty(spans);
        Assert.All(spans, s => Assert.Equal("from-env", s.Resource["service.name"]));
        Assert.Contains("/v1/traces", receiver.Paths);
    }

    [Fact]
    public async Task The_job_settings_win_over_the_OTEL_variables()
    {
        using var receiver = new OtlpReceiver();
        using var p = new TestPipeline(good: 1, bad: 0);
        var env = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{OtlpReceiver.FreePort()}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_SERVICE_NAME"] = "from-env",
        };
        var (result, warnings) = await p.RunAsync(
            $"{{ endpoint: \"{receiver.Endpoint}\", protocol: http/protobuf, service_name: from-job, metrics: false }}", k => env.GetValueOrDefault(k));
        Assert.Empty(warnings);
        Assert.All(receiver.SpansOf(result.TraceId!), s => Assert.Equal("from-job", s.Resource["service.name"]));
    }

    [Fact]
    public async Task With_no_endpoint_and_no_trace_file_nothing_listens()
    {
        using var p = new TestPipeline(good: 2, bad: 1);
        var (result, warnings) = await p.RunAsync("{ }");
        Assert.Empty(warnings);
        Assert.Null(result.TraceId); // no listener: the engine made no spans at all
        Assert.Equal(2, result.Processed);
    }

    [Fact]
    public async Task A_bad_endpoint_is_one_clear_warning()
    {
        using var p = new TestPipeline(good: 1, bad: 0);
        var (result, warnings) = await p.RunAsync("{ endpoint: \"localhost 4317\" }");
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        var w = Assert.Single(warnings);
        Assert.Contains("not an http(s) URL", w);
    }

    [Fact]
    public async Task The_trace_file_alone_needs_no_collector()
    {
        using var p = new TestPipeline(good: 3, bad: 1);
        var file = Path.Combine(p.Root, "sub", "trace.json");
        var (result, warnings) = await p.RunAsync($"{{ trace_file: \"{file}\" }}");
        Assert.Empty(warnings);
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var trace = Assert.Single(doc.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(result.TraceId, trace.GetProperty("traceID").GetString());
        var names = trace.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("operationName").GetString()).ToList();
        var lines = p.GoodFiles.Sum(TestPipeline.LinesOf);
        Assert.Equal(1 + 4 + 3 + lines + 3 + 4 + 1, names.Count);
        Assert.Equal(lines, names.Count(n => n == "check"));
    }

    /// <summary>Every string a span carries: names, attributes, events, status, resource.</summary>
    private static string Everything(OtlpSpan s) => string.Join("\n", new[] { s.Name, s.StatusMessage }
        .Concat(s.Attributes.Select(a => a.Key + "=" + Show(a.Value)))
        .Concat(s.Events.SelectMany(e => e.Attributes.Select(a => e.Name + ":" + a.Key + "=" + Show(a.Value))))
        .Concat(s.Resource.Select(a => a.Key + "=" + Show(a.Value))));

    private static string Show(object? v) => v is IEnumerable<object?> list ? string.Join(",", list.Select(Show)) : Convert.ToString(v) ?? "";
}
