using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OpenTelemetry;

namespace QcPipeline.Telemetry;

/// <summary>
/// Keeps every ended span of the run and writes them as Jaeger JSON (the shape of Jaeger's /api/traces:
/// {"data":[{"traceID","spans","processes"}]}), which Jaeger UI opens from its search page with no backend.
/// Spans are copied into small records when they end, so the Activity objects are not kept alive.
/// </summary>
internal sealed class JaegerFileProcessor(string path, string serviceName, string jobName, int maxSpans = 500_000) : BaseProcessor<Activity>
{
    private readonly ConcurrentQueue<SpanRecord> _spans = new();
    private int _count;
    private long _dropped;

    public string Path { get; } = path;
    public long Dropped => Interlocked.Read(ref _dropped);

    internal sealed record SpanRecord(string TraceId, string SpanId, string? ParentId, string Name, long StartUs, long DurationUs,
        KeyValuePair<string, object?>[] Tags, (long TimeUs, string Name, KeyValuePair<string, object?>[] Fields)[] Logs,
        (string TraceId, string SpanId)[] Links, ActivityKind Kind, ActivityStatusCode Status, string? StatusMessage);

    public override void OnEnd(Activity a)
    {
        if (!a.Recorded) return;
        if (Interlocked.Increment(ref _count) > maxSpans) { Interlocked.Increment(ref _dropped); return; }
        _spans.Enqueue(new SpanRecord(
            a.TraceId.ToHexString(), a.SpanId.ToHexString(),
            a.ParentSpanId == default ? null : a.ParentSpanId.ToHexString(),
            a.DisplayName, Micros(a.StartTimeUtc), (long)(a.Duration.Ticks / 10),
            a.TagObjects.ToArray(),
            a.Events.Select(e => (Micros(e.Timestamp.UtcDateTime), e.Name, e.Tags.ToArray())).ToArray(),
            a.Links.Select(l => (l.Context.TraceId.ToHexString(), l.Context.SpanId.ToHexString())).ToArray(),
            a.Kind, a.Status, a.StatusDescription));
    }

    /// <summary>Writes the file (atomically: a reader never sees half of it); returns the spans written.</summary>
    public int Write()
    {
        var spans = _spans.ToArray();
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        Core.Outputs.AtomicFile.Write(Path, stream =>
        {
            using var w = new Utf8JsonWriter(stream);
            w.WriteStartObject();
            w.WriteStartArray("data");
            foreach (var trace in spans.GroupBy(s => s.TraceId))
            {
                w.WriteStartObject();
                w.WriteString("traceID", trace.Key);
                w.WriteStartArray("spans");
                foreach (var s in trace.OrderBy(s => s.StartUs)) WriteSpan(w, s);
                w.WriteEndArray();
                w.WriteStartObject("processes");
                w.WriteStartObject("p1");
                w.WriteString("serviceName", serviceName);
                w.WriteStartArray("tags");
                WriteTag(w, Core.Runtime.PipelineTelemetry.JobTag, jobName);
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteNull("warnings");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("total", 0);
            w.WriteNumber("limit", 0);
            w.WriteNumber("offset", 0);
            w.WriteNull("errors");
            w.WriteEndObject();
        });
        return spans.Length;
    }

    private static void WriteSpan(Utf8JsonWriter w, SpanRecord s)
    {
        w.WriteStartObject();
        w.WriteString("traceID", s.TraceId);
        w.WriteString("spanID", s.SpanId);
        w.WriteNumber("flags", 1);
        w.WriteString("operationName", s.Name);
        w.WriteStartArray("references");
        if (s.ParentId is not null) WriteReference(w, "CHILD_OF", s.TraceId, s.ParentId);
        // OTLP links become FOLLOWS_FROM references, as Jaeger itself translates them.
        foreach (var (traceId, spanId) in s.Links) WriteReference(w, "FOLLOWS_FROM", traceId, spanId);
        w.WriteEndArray();
        w.WriteNumber("startTime", s.StartUs);
        w.WriteNumber("duration", s.DurationUs);
        w.WriteStartArray("tags");
        foreach (var (k, v) in s.Tags) WriteTag(w, k, v);
        WriteTag(w, "span.kind", s.Kind.ToString().ToLowerInvariant());
        WriteTag(w, "otel.scope.name", Core.Runtime.PipelineTelemetry.SourceName);
        if (s.Status == ActivityStatusCode.Error)
        {
            WriteTag(w, "error", true);
            WriteTag(w, "otel.status_code", "ERROR");
            if (s.StatusMessage is not null) WriteTag(w, "otel.status_description", s.StatusMessage);
        }
        w.WriteEndArray();
        w.WriteStartArray("logs");
        foreach (var (time, name, fields) in s.Logs)
        {
            w.WriteStartObject();
            w.WriteNumber("timestamp", time);
            w.WriteStartArray("fields");
            WriteTag(w, "event", name);
            foreach (var (k, v) in fields) WriteTag(w, k, v);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("processID", "p1");
        w.WriteNull("warnings");
        w.WriteEndObject();
    }

    private static void WriteReference(Utf8JsonWriter w, string type, string traceId, string spanId)
    {
        w.WriteStartObject();
        w.WriteString("refType", type);
        w.WriteString("traceID", traceId);
        w.WriteString("spanID", spanId);
        w.WriteEndObject();
    }

    private static void WriteTag(Utf8JsonWriter w, string key, object? value)
    {
        w.WriteStartObject();
        w.WriteString("key", key);
        switch (value)
        {
            case bool b: w.WriteString("type", "bool"); w.WriteBoolean("value", b); break;
            case int or long or short or byte or uint: w.WriteString("type", "int64"); w.WriteNumber("value", Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case double or float when double.IsFinite(Convert.ToDouble(value, CultureInfo.InvariantCulture)):
                w.WriteString("type", "float64"); w.WriteNumber("value", Convert.ToDouble(value, CultureInfo.InvariantCulture)); break;
            default: w.WriteString("type", "string"); w.WriteString("value", Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""); break;
        }
        w.WriteEndObject();
    }

    private static long Micros(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
