using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QcPipeline.Core.Runtime;
using Xunit;

namespace QcPipeline.Telemetry.Tests;

/// <summary>A fact that needs Debian's chromium (run.sh installs it for `./run.sh test`).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Binary = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Binary)) Skip = $"needs {Binary} (Debian package chromium; `./run.sh test` installs it)";
    }
}

/// <summary>report.html from a real run: its content, and how it renders in a real browser.</summary>
public sealed class ReportTests
{
    private const string OddName = "bad-<b>&x.txt";

    private static async Task<(TestPipeline Pipeline, RunResult Result)> RunAsync()
    {
        var p = new TestPipeline(good: 12, bad: 3, badName: OddName);
        var (result, _) = await p.RunAsync("{ traces: false, metrics: false }");
        return (p, result);
    }

    /// <summary>A site in two folders: points along two survey lines, one point without a fix, and a path line per folder.</summary>
    private static (string Path, int Points) WriteGeoJson(string dir)
    {
        var features = new JsonArray();
        var points = 0;
        foreach (var (folder, lat0) in new[] { ("flight-a", 48.8500), ("flight-b", 48.8530) })
        {
            var line = new JsonArray();
            for (var i = 0; i < 15; i++)
            {
                double lon = 2.3500 + i * 0.0002, lat = lat0 + (i % 2) * 0.0001;
                var status = i == 7 ? "suspect" : "ok";
                features.Add(new JsonObject
                {
                    ["type"] = "Feature",
                    ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat, 120.5) },
                    ["properties"] = new JsonObject { ["folder"] = folder, ["file"] = $"{folder}/IMG_{i:D4}.JPG", ["status"] = status },
                });
                line.Add(new JsonArray(lon, lat));
                points++;
            }
            features.Add(new JsonObject
            {
                ["type"] = "Feature",
                ["geometry"] = new JsonObject { ["type"] = "LineString", ["coordinates"] = line },
                ["properties"] = new JsonObject { ["folder"] = folder },
            });
        }
        var path = Path.Combine(dir, "points.geojson");
        File.WriteAllText(path, new JsonObject { ["type"] = "FeatureCollection", ["features"] = features }.ToJsonString());
        return (path, points);
    }

    [Fact]
    public async Task The_report_is_one_self_contained_file_with_stages_and_failures()
    {
        var (p, result) = await RunAsync();
        using var _ = p;
        var report = Path.Combine(p.Output, "report.html");
        RunReportWriter.Write(report, result, null);
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
        Assert.Null(data["geo"]);
    }

    [Fact]
    public async Task An_unreadable_geojson_is_a_note_in_the_report_not_a_failure()
    {
        var (p, result) = await RunAsync();
        using var _ = p;
        var geo = Path.Combine(p.Root, "points.geojson");
        File.WriteAllText(geo, "{ \"type\": \"FeatureCollection\", \"features\": [ ");
        var html = RunReportWriter.Render(result, geo);
        Assert.Contains("points.geojson could not be read", html);
    }

    [ChromiumFact]
    public async Task The_report_renders_in_headless_chromium_without_errors()
    {
        var (p, result) = await RunAsync();
        using var _ = p;
        var (geo, points) = WriteGeoJson(p.Root);
        var report = Path.Combine(p.Output, "report.html");
        RunReportWriter.Write(report, result, geo);

        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        File.Copy(report, Path.Combine(artifacts, "report.html"), overwrite: true);

        var (dom, domErr) = Chromium(report, "--dump-dom");
        Assert.Contains("data-rendered=\"1\"", dom);
        Assert.DoesNotMatch("<body[^>]*data-render-error", dom);
        Assert.Matches("<body[^>]*data-rendered=\"1\"", dom);
        Assert.Contains("<span id=\"render-status\">rendered</span>", dom);
        AssertNoConsoleErrors(domErr);

        // What the script drew: a Gantt canvas per stage that ran items, a throughput line per stage,
        // the slowest items, and every GPS point with a flight path per folder.
        var stagesWithItems = result.Timeline.Select(t => t.Stage).Distinct().Count();
        Assert.Equal(stagesWithItems, Regex.Matches(dom, "<canvas class=\"gantt\"").Count);
        Assert.Equal(stagesWithItems, Regex.Matches(dom, "<polyline [^>]*stroke-width=\"1.8\"").Count);
        Assert.Equal(points, Regex.Matches(dom, "class=\"gps-point\"").Count);
        Assert.Equal(2, Regex.Matches(dom, "class=\"flight-path\"").Count);
        Assert.Contains("IMG_0007.JPG · flight-a · suspect", dom);

        var screenshot = Path.Combine(artifacts, "report.png");
        File.Delete(screenshot);
        var (_, shotErr) = Chromium(report, $"--screenshot={screenshot}", "--window-size=1400,1000");
        AssertNoConsoleErrors(shotErr);
        var png = File.ReadAllBytes(screenshot);
        Assert.True(png.Length > 10_000, $"screenshot is only {png.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    private static void AssertNoConsoleErrors(string stderr)
    {
        Assert.DoesNotContain("Uncaught", stderr);
        Assert.DoesNotContain("Refused to", stderr); // a blocked request (CSP) would mean the page wanted the network
        Assert.DoesNotMatch(new Regex(@":ERROR:CONSOLE|console\.error", RegexOptions.IgnoreCase), stderr);
    }

    private static (string Stdout, string Stderr) Chromium(string page, params string[] extra)
    {
        var profile = Path.Combine(Path.GetTempPath(), "qc-chromium-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(profile);
        try
        {
            var psi = new ProcessStartInfo(ChromiumFactAttribute.Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         $"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0" })
                psi.ArgumentList.Add(a);
            foreach (var a in extra) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(new Uri(page).AbsoluteUri);
            using var proc = Process.Start(psi)!;
            var stdout = proc.StandardOutput.ReadToEndAsync();
            var stderr = proc.StandardError.ReadToEndAsync();
            if (!proc.WaitForExit(TimeSpan.FromSeconds(90))) { proc.Kill(true); throw new TimeoutException("chromium did not finish in 90 s"); }
            return (stdout.Result, stderr.Result);
        }
        finally
        {
            try { Directory.Delete(profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
