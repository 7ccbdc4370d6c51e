using System.Text.Json;
using System.Text.Json.Serialization;

namespace QcPipeline.Core.Runtime;

/// <summary>Writes run.json: the run's accounting, per-stage table, failures and warnings (no timeline: that is in the report).</summary>
public static class RunJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Writes run.json atomically.</summary>
    public static void Write(string path, RunResult r)
    {
        var doc = new
        {
            job = r.Job,
            outcome = r.Outcome,
            exit_code = r.ExitCode,
            error = r.Error,
            started = r.Started,
            duration_ms = Math.Round(r.Duration.TotalMilliseconds, 1),
            trace_id = r.TraceId,
            items = new { produced = r.Produced, processed = r.Processed, failed = r.Failed, skipped = r.Skipped, cancelled = r.Cancelled, counts_add_up = r.CountsAddUp },
            stages = r.Stages,
            unsuccessful = r.Unsuccessful,
            warnings = r.Warnings,
        };
        var json = JsonSerializer.SerializeToNode(doc, Options)!.AsObject();
        foreach (var (key, section) in r.Sections) json[key] = JsonSerializer.SerializeToNode(section, Options);
        Outputs.AtomicFile.WriteAllText(path, json.ToJsonString(Options));
    }
}
