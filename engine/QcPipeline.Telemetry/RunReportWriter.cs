using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using QcPipeline.Core.Reports;
using QcPipeline.Core.Runtime;

namespace QcPipeline.Telemetry;

/// <summary>
/// Writes report.html: one self-contained file (no network). First the sections the job's stages contribute (a
/// family's own results, see <see cref="ReportSection"/>), then the run's own: the per-stage table and the
/// failures as plain HTML, and the timeline (a Gantt chart per stage and worker), throughput over time and the
/// slowest items, drawn by a small inline script from data embedded as JSON.
/// </summary>
public static class RunReportWriter
{
    /// <summary>Failures listed in full; beyond this the report says how many more there are.</summary>
    public const int MaxFailureRows = 5000;

    /// <summary>Renders the report and writes it to <paramref name="path"/> atomically (a reader never sees half a page).</summary>
    public static void Write(string path, RunResult result, IReadOnlyList<ReportSection> sections)
    {
        var html = Render(result, sections);
        Core.Outputs.AtomicFile.WriteAllText(path, html);
    }

    /// <summary>The whole page as one HTML string, the job's <paramref name="sections"/> first.</summary>
    public static string Render(RunResult result, IReadOnlyList<ReportSection> sections)
    {
        sections = ReportPage.Unique(sections);
        var sb = new StringBuilder(64 * 1024);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        // No request may leave the page: default-src 'none' enforces it (inline style and script only).
        sb.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
        sb.Append("<title>").Append(E(result.Job)).Append(" — QcPipeline run report</title>\n<style>").Append(ReportAssets.Css);
        foreach (var section in sections) if (section.Css is { } css) sb.Append('\n').Append(css);
        sb.Append("</style></head>\n<body>\n");

        sb.Append("<header><h1>").Append(E(result.Job)).Append("</h1><p class=\"sub\">")
          .Append(E(result.Started.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture))).Append(" · ")
          .Append(E(FormatDuration(result.Duration))).Append(" · <span class=\"outcome ").Append(result.Outcome.ToString().ToLowerInvariant()).Append("\">")
          .Append(E(result.Outcome.ToString())).Append("</span>");
        if (result.TraceId is { } traceId) sb.Append(" · trace <code>").Append(E(traceId)).Append("</code>");
        sb.Append("</p>");
        if (result.Error is { } error) sb.Append("<p class=\"error\">").Append(E(error)).Append("</p>");
        sb.Append("<div class=\"counts\">");
        Count(sb, "produced", result.Produced); Count(sb, "processed", result.Processed); Count(sb, "failed", result.Failed);
        Count(sb, "skipped", result.Skipped); Count(sb, "cancelled", result.Cancelled);
        sb.Append("</div></header>\n");

        foreach (var section in sections) ReportPage.Section(sb, section);
        StageTable(sb, result);

        sb.Append("<section><h2>Timeline</h2><p class=\"note\">Each row is one worker (for pooled stages, one connection); each bar one item. ")
          .Append("Gaps are idle time; long bars are stragglers. Hover a bar for its item.");
        if (result.TimelineTruncated) sb.Append(" A sample of ").Append(result.Timeline.Count.ToString("N0", CultureInfo.InvariantCulture)).Append(" item timings, whole items spread over the run, was kept (outputs.timeline_limit).");
        sb.Append("</p><div id=\"gantt\"></div></section>\n");
        sb.Append("<section><h2>Throughput</h2><p class=\"note\">Items finished per second by each stage.</p><div id=\"throughput\"></div></section>\n");
        sb.Append("<section><h2>Slowest items</h2><div id=\"slowest\"></div></section>\n");

        FailureTable(sb, result);
        if (result.Warnings.Count > 0)
        {
            sb.Append("<section><h2>Warnings</h2><ul class=\"warnings\">");
            foreach (var w in result.Warnings) sb.Append("<li>").Append(E(w)).Append("</li>");
            sb.Append("</ul></section>\n");
        }

        sb.Append("<footer>QcPipeline run report · self-contained, no network · <span id=\"render-status\">not rendered (JavaScript is off)</span></footer>\n");
        sb.Append("<script type=\"application/json\" id=\"report-data\">").Append(DataJson(result)).Append("</script>\n");
        sb.Append("<script>").Append(ReportAssets.Script).Append("</script>\n");
        foreach (var section in sections) ReportPage.Script(sb, section);
        sb.Append("<script>qcReport.done();</script>\n</body></html>\n");
        return sb.ToString();
    }

    private static void Count(StringBuilder sb, string label, long n) =>
        sb.Append("<div class=\"count ").Append(label).Append("\"><b>").Append(n.ToString("N0", CultureInfo.InvariantCulture)).Append("</b>").Append(label).Append("</div>");

    private static void StageTable(StringBuilder sb, RunResult r)
    {
        sb.Append("<section><h2>Stages</h2><table class=\"stages\"><thead><tr>");
        foreach (var h in new[] { "Stage", "Type", "Workers", "In", "Out", "Failed", "Skipped", "Passed through", "Cached", "Mean ms", "p95 ms", "Utilisation", "Blocked", "Bytes" })
            sb.Append("<th>").Append(h).Append("</th>");
        sb.Append("</tr></thead><tbody>\n");
        foreach (var s in r.Stages)
        {
            sb.Append("<tr><td>").Append(E(s.Name)).Append("</td><td><code>").Append(E(s.Type)).Append("</code></td>");
            Num(sb, s.Workers); Num(sb, s.In); Num(sb, s.Out);
            sb.Append("<td class=\"n").Append(s.Failed > 0 ? " bad" : "").Append("\">").Append(s.Failed.ToString("N0", CultureInfo.InvariantCulture)).Append("</td>");
            Num(sb, s.Skipped); Num(sb, s.PassedThrough); Num(sb, s.Cached);
            sb.Append("<td class=\"n\">").Append(F(s.MeanMs)).Append("</td><td class=\"n\">").Append(F(s.P95Ms)).Append("</td>");
            var pct = Math.Clamp(s.Utilisation * 100, 0, 100);
            sb.Append("<td><div class=\"bar\"><i style=\"width:").Append(pct.ToString("F0", CultureInfo.InvariantCulture)).Append("%\"></i></div>")
              .Append(pct.ToString("F0", CultureInfo.InvariantCulture)).Append("%</td>");
            sb.Append("<td class=\"n\">").Append(E(FormatDuration(TimeSpan.FromMilliseconds(s.BlockedMs)))).Append("</td>");
            sb.Append("<td class=\"n\">").Append(E(FormatBytes(s.Bytes))).Append("</td></tr>\n");
        }
        sb.Append("</tbody></table></section>\n");
    }

    private static void FailureTable(StringBuilder sb, RunResult r)
    {
        sb.Append("<section><h2>Failures and skipped items</h2>");
        if (r.Unsuccessful.Count == 0) { sb.Append("<p class=\"note\" id=\"no-failures\">Every item was processed.</p></section>\n"); return; }
        // The reasons, most common first, then every item.
        sb.Append("<table class=\"reasons\"><thead><tr><th>Items</th><th>State</th><th>Stage</th><th>Reason</th></tr></thead><tbody>");
        foreach (var g in r.Unsuccessful.GroupBy(u => (u.State, u.Stage, Reason: Generalise(u.Reason))).OrderByDescending(g => g.Count()).Take(50))
            sb.Append("<tr><td class=\"n\">").Append(g.Count()).Append("</td><td>").Append(E(g.Key.State)).Append("</td><td>")
              .Append(E(g.Key.Stage ?? "")).Append("</td><td>").Append(E(g.Key.Reason)).Append("</td></tr>");
        sb.Append("</tbody></table>\n<table class=\"failures\"><thead><tr><th>Item</th><th>State</th><th>Stage</th><th>Reason</th><th>Attempts</th></tr></thead><tbody>\n");
        foreach (var u in r.Unsuccessful.Take(MaxFailureRows))
            sb.Append("<tr class=\"").Append(E(u.State)).Append("\"><td><code>").Append(E(u.Item)).Append("</code></td><td>").Append(E(u.State))
              .Append("</td><td>").Append(E(u.Stage ?? "")).Append("</td><td>").Append(E(u.Reason ?? "")).Append("</td><td class=\"n\">")
              .Append(u.Attempts).Append("</td></tr>\n");
        sb.Append("</tbody></table>");
        if (r.Unsuccessful.Count > MaxFailureRows)
            sb.Append("<p class=\"note\">… and ").Append((r.Unsuccessful.Count - MaxFailureRows).ToString("N0", CultureInfo.InvariantCulture)).Append(" more (see run.json).</p>");
        sb.Append("</section>\n");
    }

    // Reasons often name their item; grouping by the text with quoted names and numbers blanked shows the kinds.
    private static string Generalise(string? reason) =>
        System.Text.RegularExpressions.Regex.Replace(reason ?? "", @"'[^']*'|""[^""]*""|\d+", "…");

    private static string DataJson(RunResult r)
    {
        // Item keys repeat at every stage: the timeline refers to them by index.
        var keys = new List<string>();
        var keyIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var entries = new List<double>(r.Timeline.Count * 6);
        foreach (var e in r.Timeline)
        {
            if (!keyIndex.TryGetValue(e.Key, out var k)) { k = keys.Count; keyIndex[e.Key] = k; keys.Add(e.Key); }
            entries.Add(e.Stage); entries.Add(e.Worker); entries.Add(k);
            entries.Add(Math.Round(e.StartMs, 2)); entries.Add(Math.Round(e.EndMs, 2)); entries.Add(e.Outcome);
        }
        var data = new
        {
            job = r.Job,
            durationMs = Math.Round(r.Duration.TotalMilliseconds, 2),
            stages = r.Stages.Select(s => new { name = s.Name, type = s.Type, workers = s.Workers }),
            timeline = new { keys, entries, truncated = r.TimelineTruncated },
        };
        // The default encoder escapes <, > and &, so the JSON cannot end its <script> element early.
        return JsonSerializer.Serialize(data);
    }

    private static void Num(StringBuilder sb, long n) => sb.Append("<td class=\"n\">").Append(n.ToString("N0", CultureInfo.InvariantCulture)).Append("</td>");
    private static string F(double v) => v.ToString(v < 10 ? "F2" : "F0", CultureInfo.InvariantCulture);
    private static string E(string s) => WebUtility.HtmlEncode(s);

    internal static string FormatDuration(TimeSpan t) =>
        t.TotalSeconds < 1 ? $"{t.TotalMilliseconds:F0} ms"
        : t.TotalMinutes < 1 ? $"{t.TotalSeconds:F1} s"
        : t.TotalHours < 1 ? $"{(int)t.TotalMinutes} min {t.Seconds} s"
        : $"{(int)t.TotalHours} h {t.Minutes} min";

    internal static string FormatBytes(long b) =>
        b < 1024 ? $"{b} B" : b < 1 << 20 ? $"{b / 1024.0:F1} KiB" : b < 1L << 30 ? $"{b / 1048576.0:F1} MiB" : $"{b / 1073741824.0:F2} GiB";
}
