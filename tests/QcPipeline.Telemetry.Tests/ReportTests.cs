using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QcPipeline.Core.Reports;
using QcPipeline.Core.Runtime;
using QcPipeline.TestKit;
using Xunit;

namespace QcPipeline.Telemetry.Tests;

/// <summary>report.html from a real run: its content, and how it renders in a real browser.</summary>
public sealed class ReportTests
{
    private const string OddName = "bad-<b>&x.txt";

    private static async Task<(TestPipeline Pipeline, RunResult Result, IReadOnlyList<ReportSection> Sections)> RunAsync(bool failReport = false)
    {
        var p = new TestPipeline(good: 12, bad: 3, badName: OddName);
        var (result, _, sections) = await p.RunGraphAsync("{ traces: false, metrics: false }", overrides: failReport ? ["stages.collect.fail_report=true"] : null);
        return (p, result, sections);
    }

    [Fact]
    public async Task The_report_is_one_self_contained_file_with_stages_and_failures()
    {
        var (p, result, sections) = await RunAsync();
        using var _ = p;
        var report = Path.Combine(p.Output, "report.html");
        RunReportWriter.Write(report, result, sections);
        var html = File.ReadAllText(report);

        // Nothing is fetched: no external scripts, styles, images or fonts, and a CSP that forbids them.
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*[""']?\s*(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"url\(\s*[""']?(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"@import", RegexOptions.IgnoreCase), html);
        Assert.Contains("default-src 'none'", html);

        // The per-stage table: a row per stage with its counts.
        foreach (var s in result.Stages)
            Assert.Matches(new Regex($"<tr><td>{Regex.Escape(s.Name)}</td><td><code>{Regex.Escape(s.Type)}</code></td>.*<td class=\"n\">{s.In.ToString("N0", CultureInfo.InvariantCulture)}</td>"), html);

        // Every failure with its reason; item names are escaped (a file may be called <b>&x).
        Assert.Equal(3, result.Unsuccessful.Count);
        foreach (var u in result.Unsuccessful) Assert.Contains(System.Net.WebUtility.HtmlEncode(u.Reason!), html);
        Assert.DoesNotContain(OddName, html);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(Path.Combine(p.Input, OddName)), html);

        // The timeline is embedded as data: one entry per item per stage that ran it.
        var json = Regex.Match(html, "<script type=\"application/json\" id=\"report-data\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        var data = JsonNode.Parse(json)!;
        Assert.Equal(result.Timeline.Count * 6, data["timeline"]!["entries"]!.AsArray().Count);

        // The stages' own sections come first, before the run's; the report writer knows nothing of them but what they hand it.
        Assert.True(html.IndexOf("id=\"section-collected\"", StringComparison.Ordinal) < html.IndexOf("<h2>Stages</h2>", StringComparison.Ordinal));
        Assert.Contains("<h2>Collected &lt;files&gt;</h2>", html);
        Assert.Contains("<p class=\"note\" id=\"collected-count\">12 files</p>", html);
        Assert.DoesNotContain("points.geojson", html);
    }

    [Fact]
    public async Task A_section_that_cannot_be_made_is_a_note_in_the_report_not_a_failure()
    {
        var (p, result, sections) = await RunAsync(failReport: true);
        using var _ = p;
        Assert.Contains("could not be made", Assert.Single(sections).Html);
        var html = RunReportWriter.Render(result, sections);
        Assert.Contains("collect&#39;s report section could not be made: the collected files are gone", html);
        Assert.Contains("<h2>Stages</h2>", html); // the rest of the report is there
    }

    [ChromiumFact]
    public async Task The_report_renders_in_headless_chromium_without_errors()
    {
        var (p, result, sections) = await RunAsync();
        using var _ = p;
        var report = Path.Combine(p.Output, "report.html");
        RunReportWriter.Write(report, result, sections);

        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        File.Copy(report, Path.Combine(artifacts, "report.html"), overwrite: true);

        var dom = Chromium.RenderedDom(report);

        // What the scripts drew: a Gantt canvas per stage that ran items, a throughput line per stage, the slowest
        // items, and the contributed section's own drawing from its own data (a dot per collected file).
        var stagesWithItems = result.Timeline.Select(t => t.Stage).Distinct().Count();
        Assert.Equal(stagesWithItems, Regex.Matches(dom, "<canvas class=\"gantt\"").Count);
        Assert.Equal(stagesWithItems, Regex.Matches(dom, "<polyline [^>]*stroke-width=\"1.8\"").Count);
        Assert.Equal(12, Regex.Matches(dom, "class=\"test-dot\"").Count);

        var screenshot = Path.Combine(artifacts, "report.png");
        File.Delete(screenshot);
        var (_, shotErr) = Chromium.Run(report, $"--screenshot={screenshot}", "--window-size=1400,1000");
        Chromium.AssertNoConsoleErrors(shotErr);
        var png = File.ReadAllBytes(screenshot);
        Assert.True(png.Length > 10_000, $"screenshot is only {png.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [ChromiumFact]
    public async Task A_section_whose_script_fails_is_marked_and_the_rest_still_renders()
    {
        var (p, result, sections) = await RunAsync();
        using var _ = p;
        var report = Path.Combine(p.Output, "report.html");
        RunReportWriter.Write(report, result, [.. sections, new ReportSection { Id = "broken", Title = "Broken", Script = "data.missing.field = 1;", Data = new { } }]);
        var (dom, _) = Chromium.Run(report, "--dump-dom");
        Assert.Matches("<body[^>]*data-render-error=\"broken: ", dom);
        Assert.Contains("rendered with errors", dom);
        Assert.Contains("This section could not be drawn", dom);
        Assert.Equal(12, Regex.Matches(dom, "class=\"test-dot\"").Count); // the other sections drew
    }
}
