using System.Text.RegularExpressions;
using QcPipeline.Demo.Generation;
using QcPipeline.Telemetry;
using QcPipeline.TestKit;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>The site scan's sections of report.html: verdicts first, the map with flagged photos and gaps, the
/// table of flagged photos; drawn in a real headless Chromium.</summary>
public sealed class FlightReportTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("qc-flightreport-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<(SiteScanRun Run, FaultedFlight Truth, string Report)> ReportAsync()
    {
        var truth = FlightFaults.Inject(FlightPlans.Lawnmower("DJI_202509141005_001_grid", new FlightPlan { RtkFlag = 50 }), FaultPlan.Everything, 3);
        var orbit = FlightPlans.Orbit("DJI_202509141030_002_orbit", new FlightPlan { Start = new DateTime(2025, 9, 14, 10, 30, 0), FirstNumber = 300 });
        var site = Path.Combine(_root, "site");
        PlannedPhoto.WriteAll(site, [.. truth.Photos, .. orbit]);
        File.Copy(Path.Combine(site, orbit[0].Folder, orbit[0].Name), Path.Combine(site, orbit[0].Folder, "<b>&copy.JPG"));
        var run = await SiteScanRun.RunAsync(_root, site, "report");
        var report = Path.Combine(run.Output, "report.html");
        RunReportWriter.Write(report, run.Result, run.Sections);
        return (run, truth, report);
    }

    [Fact]
    public async Task The_verdicts_come_first_and_every_flagged_photo_is_in_the_table_with_why()
    {
        var (run, truth, report) = await ReportAsync();
        var html = File.ReadAllText(report);
        var verdicts = html.IndexOf("id=\"section-flight-qc\"", StringComparison.Ordinal);
        Assert.True(verdicts > 0 && verdicts < html.IndexOf("id=\"section-flight-map\"", StringComparison.Ordinal));
        Assert.True(html.IndexOf("id=\"section-flagged-photos\"", StringComparison.Ordinal) < html.IndexOf("<h2>Stages</h2>", StringComparison.Ordinal));
        // The failing grid before the orbit (which only has a copy in it), each with its verdict and reasons.
        Assert.Matches(new Regex("<tr class=\"fail\"><td>DJI_202509141005_001_grid</td>.*<tr class=\"warn\"><td>DJI_202509141030_002_orbit</td>", RegexOptions.Singleline), html);
        Assert.Contains("<span class=\"verdict fail\">fail</span>", html);
        var flagged = run.Points.Where(p => p["flags"].Length > 0).ToList();
        Assert.Equal(truth.Expected.Count + 1, flagged.Count); // the faults, and the copied orbit photo
        Assert.Contains($"<h2>Flagged photos ({flagged.Count})</h2>", html);
        Assert.Equal(flagged.Count, Regex.Matches(html, "<tr><td>DJI_2025091410[03]").Count);
        foreach (var p in flagged) Assert.Contains(System.Net.WebUtility.HtmlEncode(p["flag_details"]), html);
        Assert.DoesNotContain("<b>&copy", html);
        Assert.Contains("&lt;b&gt;&amp;copy.JPG", html);
    }

    [ChromiumFact]
    public async Task The_map_draws_every_photo_flagged_ones_by_flag_and_the_gaps_without_errors()
    {
        var (run, truth, report) = await ReportAsync();
        var dom = Chromium.RenderedDom(report);
        var drawable = run.GeoJson["features"]!.AsArray().Count(f => f!["geometry"]!["type"]!.GetValue<string>() == "Point");
        Assert.Equal(drawable, Regex.Matches(dom, "class=\"gps-point").Count);
        var flaggedWithPosition = run.Points.Count(p => p["flags"].Length > 0 && p["latitude"].Length > 0 && p["flags"] != "invalid_position");
        Assert.Equal(flaggedWithPosition + 1, Regex.Matches(dom, "class=\"gps-point flagged\"").Count); // null island is drawn too
        var gaps = run.Gaps.Count();
        Assert.True(gaps >= 3);
        Assert.Equal(gaps, Regex.Matches(dom, "class=\"gap\"").Count);
        Assert.Equal(2, Regex.Matches(dom, "class=\"flight-path\"").Count);
        // The legend names each flag drawn, with its count, and the gaps.
        foreach (var flag in truth.Expected.Values.Distinct().Where(f => f != "no_position"))
            Assert.Matches(new Regex($@"<span><i style=""background:#[0-9a-f]{{6}}""></i>{flag} \(\d+\)</span>"), dom);
        Assert.Contains($"gap ({gaps})", dom);
        Assert.Contains("data-flags=\"far_from_site\"", dom);

        var shot = Path.Combine(AppContext.BaseDirectory, "artifacts", "flight-report.png");
        Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
        File.Delete(shot);
        var (_, stderr) = Chromium.Run(report, $"--screenshot={shot}", "--window-size=1400,1600");
        Chromium.AssertNoConsoleErrors(stderr);
        Assert.True(new FileInfo(shot).Length > 10_000);
    }
}
