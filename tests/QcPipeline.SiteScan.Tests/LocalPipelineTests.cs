using System.Text.Json.Nodes;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.SiteScan;
using QcPipeline.Demo.Generation;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>
/// The whole job on a local generated site, through the engine (JobLoader → GraphCompiler → PipelineRunner):
/// files.list → files.read → gps.exif → gps.aggregate, with hostile files among the photos, and the cache.
/// </summary>
public sealed class LocalPipelineTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"qc-sitescan-e2e-{Guid.NewGuid():N}");
    private string Site => Path.Combine(_root, "site");
    private string Cache => Path.Combine(_root, "cache");

    private static void Near(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{actual} is not within {tolerance} of {expected}");

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static StageRegistry Registry() => QcPipeline.Files.FilesFamily.AddFiles(new StageRegistry()).AddSiteScan();

    private async Task<(RunResult Result, string Out)> RunAsync(string name, bool noCache = false, string mode = "header", string gpsExtra = "")
    {
        var job = Path.Combine(_root, "site-scan-local.yaml");
        File.WriteAllText(job, $"""
            job: site-scan-local
            error_budget: 100%
            stages:
              list:
                type: files.list
                root: site
                include: ["**/*.jpg", "**/*.JPG"]
              fetch:
                type: files.read
                mode: {mode}
                workers: 3
              gps:
                type: gps.exif
                workers: 2
                cache_dir: cache{gpsExtra}
              aggregate:
                type: gps.aggregate
            """);
        var graph = TestRun.CompileFile(Registry(), job, _ => null);
        var output = Path.Combine(_root, "out-" + name);
        var result = await new PipelineRunner(graph, output, noCache).RunGuardedAsync();
        Assert.True(result.CountsAddUp, $"produced {result.Produced} ≠ processed {result.Processed} + failed {result.Failed} + skipped {result.Skipped} + cancelled {result.Cancelled}");
        return (result, output);
    }

    private static List<string[]> ReadCsv(string output)
    {
        var lines = File.ReadAllLines(Path.Combine(output, "points.csv"));
        Assert.Equal(GpsAggregateStage.CsvHeader, lines[0]);
        // Our generated names hold no commas or quotes, so a plain split is exact here.
        return lines.Skip(1).Select(l => l.Split(',')).ToList();
    }

    private static long Cached(RunResult r, string stage) => r.Stages.Single(s => s.Name == stage).Cached;

    [Fact]
    public async Task A_generated_site_with_hostile_files_gives_one_row_per_image_and_right_summaries()
    {
        var photos = SiteGenerator.Demo(Site);
        var hostile = SiteGenerator.Hostile(Path.Combine(Site, "hostile"));
        var (result, output) = await RunAsync("first");

        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.Equal(photos.Count + hostile.Count, result.Produced);
        var rows = ReadCsv(output);
        Assert.Equal(photos.Count + hostile.Count, rows.Count); // nothing lost, nothing doubled
        Assert.Equal(rows.Count, rows.Select(r => (r[0], r[1])).Distinct().Count());

        // Every generated photo: its position as written.
        foreach (var p in photos)
        {
            var row = rows.Single(r => r[0] == p.Folder && r[1] == p.Name);
            Assert.Equal("ok", row[7]);
            Near(p.Latitude, double.Parse(row[2], System.Globalization.CultureInfo.InvariantCulture), 1e-8);
            Near(p.Longitude, double.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture), 1e-8);
            Assert.EndsWith("+02:00", row[6]);
        }
        // Every hostile file: one row with its status and a reason; unreadable ones failed the item at gps.
        foreach (var h in hostile)
        {
            var row = rows.Single(r => r[0] == "hostile" && r[1] == h.Name);
            Assert.Equal(h.Expected.Name(), row[7]);
            if (h.Expected != GpsStatus.Ok) Assert.Contains(h.ReasonContains, string.Join(",", row[8..]));
            if (h.Expected is GpsStatus.Error or GpsStatus.NoGps) Assert.Equal(("", ""), (row[2], row[3]));
        }
        var errors = hostile.Count(h => h.Expected == GpsStatus.Error);
        Assert.Equal(errors, result.Failed);
        Assert.All(result.Unsuccessful, u => Assert.Equal("gps", u.Stage));

        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "summary.json")))!;
        Assert.Equal(photos.Count + hostile.Count, summary["site"]!["images"]!.GetValue<int>());
        Assert.Equal(errors, summary["site"]!["by_status"]!["error"]!.GetValue<int>());
        foreach (var flight in photos.GroupBy(p => p.Folder))
        {
            var f = summary["folders"]![flight.Key]!;
            Assert.Equal(flight.Count(), f["by_status"]!["ok"]!.GetValue<int>());
            Near(flight.Min(p => p.Latitude), f["bbox"]!["min_lat"]!.GetValue<double>(), 1e-8);
            Near(flight.Max(p => p.Longitude), f["bbox"]!["max_lon"]!.GetValue<double>(), 1e-8);
            var ordered = flight.OrderBy(p => p.TakenAt).ToList();
            var track = ordered.Zip(ordered.Skip(1), (a, b) => SiteSummary.Distance(a.Latitude, a.Longitude, b.Latitude, b.Longitude)).Sum();
            Assert.Equal(track, f["track_length_m"]!.GetValue<double>(), 1);
            Assert.Equal((ordered[^1].TakenAt - ordered[0].TakenAt).TotalSeconds, f["time"]!["seconds"]!.GetValue<double>());
            Assert.Empty(f["far_from_site"]!.AsArray());
            Assert.Empty(f["duplicates"]!.AsArray());
            // A clean generated flight: nothing flagged, no gap, an ok verdict.
            Assert.Equal(0, f["flagged"]!.GetValue<int>());
            Assert.Empty(f["flight"]!["gaps"]!.AsArray());
            Assert.Equal("ok", f["verdict"]!["status"]!.GetValue<string>());
        }
        var geo = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "points.geojson")))!;
        var lines = geo["features"]!.AsArray().Where(x => x!["geometry"]!["type"]!.GetValue<string>() == "LineString").ToList();
        // One flight path per folder with two ok photos or more: the three flights, and the hostile folder's two readable ones.
        Assert.Equal(photos.Select(p => p.Folder).Distinct().Append("hostile").Order(),
            lines.Select(l => l!["properties"]!["folder"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task Second_run_hits_the_cache_a_changed_file_misses_and_no_cache_bypasses()
    {
        var photos = SiteGenerator.Demo(Site);
        var first = await RunAsync("cold");
        Assert.Equal(0, Cached(first.Result, "gps"));
        Assert.Equal(photos.Count, first.Result.Stages.Single(s => s.Name == "fetch").Out);
        Assert.True(Directory.EnumerateFiles(Path.Combine(Cache, "gps-exif"), "*.jsonl").Any());

        // Warm: every photo comes from the cache; the fetch stage sees none.
        var warm = await RunAsync("warm");
        Assert.Equal(photos.Count, Cached(warm.Result, "gps"));
        Assert.Equal(0, warm.Result.Stages.Single(s => s.Name == "fetch").In);
        Assert.Equal(File.ReadAllText(Path.Combine(first.Out, "points.csv")), File.ReadAllText(Path.Combine(warm.Out, "points.csv")));

        // A photo replaced by another (new size and time) is read again, and its new position is reported.
        var changed = photos[3];
        new JpegBuilder { Make = "DJI", TakenAt = changed.TakenAt, Gps = GpsEntries.Position(48.5, 9.25, 400), Width = 200 }.Write(changed.Path);
        File.SetLastWriteTimeUtc(changed.Path, DateTime.UtcNow.AddMinutes(1));
        var after = await RunAsync("changed");
        Assert.Equal(photos.Count - 1, Cached(after.Result, "gps"));
        Assert.Equal(1, after.Result.Stages.Single(s => s.Name == "fetch").In);
        var row = ReadCsv(after.Out).Single(r => r[1] == changed.Name);
        Assert.Equal(("48.5", "9.25"), (row[2], row[3]));

        // --no-cache: everything is read, and the cache is not touched.
        var cacheFile = Directory.EnumerateFiles(Path.Combine(Cache, "gps-exif"), "*.jsonl").Single();
        var before = File.GetLastWriteTimeUtc(cacheFile);
        var bypass = await RunAsync("no-cache", noCache: true);
        Assert.Equal(0, Cached(bypass.Result, "gps"));
        Assert.Equal(photos.Count, bypass.Result.Stages.Single(s => s.Name == "fetch").In);
        Assert.Equal(before, File.GetLastWriteTimeUtc(cacheFile));
    }

    [Fact]
    public async Task A_cache_file_cut_short_keeps_its_whole_entries_and_ignores_the_cut_one_with_a_warning()
    {
        var photos = SiteGenerator.Demo(Site);
        await RunAsync("cold");
        var cacheFile = Directory.EnumerateFiles(Path.Combine(Cache, "gps-exif"), "*.jsonl").Single();
        var text = File.ReadAllText(cacheFile);
        var cut = text[..(text.Length / 2)]; // as if cut by a crash of something else
        File.WriteAllText(cacheFile, cut);
        var whole = cut.Count(c => c == '\n') - 1; // entry lines before the cut (the first line is the header)

        var (result, output) = await RunAsync("after-corruption");
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.InRange(whole, 1, photos.Count - 1);
        Assert.Equal(whole, Cached(result, "gps"));
        Assert.Contains(result.Warnings, w => w.Contains("1 cached GPS reading was out of range or unreadable and ignored") && w.Contains("unreadable"));
        Assert.Equal(photos.Count, ReadCsv(output).Count(r => r[7] == "ok"));

        var again = await RunAsync("healed");
        Assert.Equal(photos.Count, Cached(again.Result, "gps"));
        Assert.DoesNotContain(again.Result.Warnings, w => w.Contains("cache"));
    }

    [Fact]
    public async Task A_cache_file_whose_header_is_unreadable_is_ignored_with_a_warning_and_replaced()
    {
        var photos = SiteGenerator.Demo(Site);
        await RunAsync("cold");
        var cacheFile = Directory.EnumerateFiles(Path.Combine(Cache, "gps-exif"), "*.jsonl").Single();
        File.WriteAllText(cacheFile, File.ReadAllText(cacheFile)[..12]);

        var (result, _) = await RunAsync("after-corruption");
        Assert.Equal(0, Cached(result, "gps"));
        Assert.Contains(result.Warnings, w => w.Contains("cache") && w.Contains("unreadable and was ignored"));
        var again = await RunAsync("healed");
        Assert.Equal(photos.Count, Cached(again.Result, "gps"));
    }

    [Fact]
    public async Task Full_mode_reads_the_files_by_path_with_the_same_results()
    {
        SiteGenerator.Demo(Site);
        SiteGenerator.Hostile(Path.Combine(Site, "hostile"));
        var header = await RunAsync("header", noCache: true);
        var full = await RunAsync("full", noCache: true, mode: "full");
        Assert.Equal(File.ReadAllText(Path.Combine(header.Out, "points.csv")), File.ReadAllText(Path.Combine(full.Out, "points.csv")));
        Assert.Equal(header.Result.Failed, full.Result.Failed);
    }

    [Fact]
    public async Task Cache_off_in_the_job_writes_no_cache()
    {
        SiteGenerator.Demo(Site);
        var (result, _) = await RunAsync("off", gpsExtra: "\n    cache: false");
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.False(Directory.Exists(Path.Combine(Cache, "gps-exif")));
    }
}
