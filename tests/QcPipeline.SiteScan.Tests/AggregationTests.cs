using System.Text.Json.Nodes;
using QcPipeline.Core.Stages;
using QcPipeline.SiteScan;
using QcPipeline.SiteScan.Generation;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>The arithmetic of summary.json on points whose answers are known by construction.</summary>
public sealed class AggregationTests
{
    private static readonly DateTime T0 = new(2025, 6, 2, 9, 30, 0);

    private static PointRow Ok(string folder, string file, double lat, double lon, DateTime? at = null, double? alt = null, double? rel = null) =>
        new(folder, file, GpsStatus.Ok, null, new GpsReading
        {
            Status = GpsStatus.Ok, Latitude = lat, Longitude = lon, TakenAt = at, AltitudeM = alt, RelativeAltitudeM = rel,
        });

    [Fact]
    public void Track_length_along_a_meridian_is_the_arc_in_capture_order_not_file_order()
    {
        // Ten photos 0.001° of latitude apart, named in reverse of their capture order.
        var rows = Enumerable.Range(0, 10)
            .Select(i => Ok("f", $"IMG_{99 - i}.JPG", 51.0 + i * 0.001, 12.0, T0.AddSeconds(2 * i)))
            .ToList();
        var ordered = SiteSummary.CaptureOrder(rows);
        Assert.Equal("IMG_99.JPG", ordered[0].File);
        var expected = 9 * 0.001 * Math.PI / 180 * SiteSummary.EarthRadiusM;
        Assert.Equal(expected, SiteSummary.TrackLength(ordered), 6);
        // Taken out of order, the path zig-zags: capture order is what counts.
        var shuffled = new[] { rows[0], rows[9], rows[1], rows[8] };
        Assert.True(SiteSummary.TrackLength(shuffled) > 2 * expected);
        Assert.Equal(expected, SiteSummary.TrackLength(SiteSummary.CaptureOrder(shuffled)), 6); // 0 → 1 → 8 → 9: 9 steps
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
        var rows = new List<PointRow>
        {
            Ok("f", "a.jpg", 10, 20, T0, 100, 50),
            Ok("f", "b.jpg", 10, 22, T0.AddSeconds(10), 110, 60),
            Ok("f", "c.jpg", 12, 22, T0.AddSeconds(20), 120, 70),
            Ok("f", "d.jpg", 12, 20, T0.AddSeconds(95), 130, 80),
            new("f", "e.jpg", GpsStatus.Suspect, "null island", new GpsReading { Status = GpsStatus.Suspect, Latitude = 0, Longitude = 0, TakenAt = T0.AddSeconds(5) }),
            new("f", "x.jpg", GpsStatus.Error, "read: truncated", new GpsReading { Status = GpsStatus.Error }),
        };
        var s = SiteSummary.Summarise(rows, [], 0);
        Assert.Equal(6, s.Images);
        Assert.Equal(4, s.ByStatus["ok"]);
        Assert.Equal(1, s.ByStatus["suspect"]);
        Assert.Equal(1, s.ByStatus["error"]);
        Assert.Equal(0, s.ByStatus["no_gps"]);
        // The null-island point is in no statistic.
        Assert.Equal(new BoundingBox(10, 20, 12, 22), s.Bbox);
        Assert.Equal(21, s.Centroid!.Lon, 9);
        Assert.InRange(s.Centroid.Lat, 11.0, 11.01); // the spherical mean sits a little poleward of 11
        Assert.Equal(new Range(100, 130, 115), s.AltitudeM);
        Assert.Equal(new Range(50, 80, 65), s.RelativeAltitudeM);
        Assert.Equal(95, s.Time!.Seconds);
        Assert.Equal("2025-06-02T09:30:00", s.Time.First);
    }

    [Fact]
    public void Centroid_across_the_antimeridian_is_not_on_the_other_side_of_the_world()
    {
        var c = SiteSummary.Centroid([Ok("f", "a", -17, 179.9), Ok("f", "b", -17, -179.9)])!;
        Assert.Equal(180, Math.Abs(c.Lon), 6);
    }

    [Fact]
    public void A_photo_far_from_the_folder_median_is_an_outlier_and_the_flight_is_not()
    {
        // A 10 × 10 grid 10 m apart, and one photo 3 km away.
        var rows = new List<PointRow>();
        for (var i = 0; i < 100; i++)
        {
            var (lat, lon) = SiteGenerator.Offset(51.0, 12.0, i % 10 * 10.0, i / 10 * 10.0);
            rows.Add(Ok("f", $"p{i:000}.jpg", lat, lon, T0.AddSeconds(i)));
        }
        var (farLat, farLon) = SiteGenerator.Offset(51.0, 12.0, 3000, 0);
        rows.Add(Ok("f", "stray.jpg", farLat, farLon, T0.AddSeconds(500)));
        var outliers = SiteSummary.Outliers(rows, factor: 5, minMetres: 50);
        var o = Assert.Single(outliers);
        Assert.Equal("stray.jpg", o.File);
        Assert.InRange(o.DistanceM, 2900, 3000);
        // The grid alone: its median distance to the centre is 38.1 m and its corners lie 63.6 m out, so
        // factor 2 flags nothing, factor 1.5 flags the four corners, and a 70 m floor keeps them in.
        var grid = rows.Take(100).ToList();
        Assert.Empty(SiteSummary.Outliers(grid, factor: 2, minMetres: 0));
        Assert.Equal(4, SiteSummary.Outliers(grid, factor: 1.5, minMetres: 0).Count);
        Assert.Empty(SiteSummary.Outliers(grid, factor: 1.5, minMetres: 70));
    }

    [Fact]
    public void Duplicates_are_same_position_and_same_time_only()
    {
        var rows = new List<PointRow>
        {
            Ok("f", "a.jpg", 51.0, 12.0, T0),
            Ok("g", "a-copy.jpg", 51.0, 12.0, T0),              // a copy in another folder
            Ok("f", "same-place-later.jpg", 51.0, 12.0, T0.AddSeconds(2)),
            Ok("f", "same-time-elsewhere.jpg", 51.001, 12.0, T0),
            Ok("f", "b.jpg", 51.0000000001, 12.0, T0),            // within 1e-7°: the same position
        };
        var d = Assert.Single(SiteSummary.Duplicates(rows));
        Assert.Equal(["f/a.jpg", "f/b.jpg", "g/a-copy.jpg"], d.Files);
        Assert.Equal("2025-06-02T09:30:00", d.TakenAt);
    }

    [Fact]
    public void Site_summary_adds_folder_tracks_and_lists_folder_outliers_and_paths()
    {
        var rows = new List<PointRow>();
        for (var i = 0; i < 5; i++) rows.Add(Ok("A", $"a{i}.jpg", 51.0 + i * 0.001, 12.0, T0.AddSeconds(i)));
        for (var i = 0; i < 3; i++) rows.Add(Ok("B", $"b{i}.jpg", 52.0, 12.0 + i * 0.001, T0.AddHours(1).AddSeconds(i)));
        rows.Add(new PointRow("B", "nogps.jpg", GpsStatus.NoGps, "no GPS in the EXIF metadata", new GpsReading { Status = GpsStatus.NoGps }));
        var (summary, paths) = GpsAggregateStage.Summarise(rows, new GpsAggregateOptions());
        var a = 4 * 0.001 * Math.PI / 180 * SiteSummary.EarthRadiusM;
        var b = SiteSummary.Distance(52, 12, 52, 12.001) * 2;
        Assert.Equal(Math.Round(a, 2), summary["folders"]!["A"]!["track_length_m"]!.GetValue<double>(), 2);
        Assert.Equal(Math.Round(b, 2), summary["folders"]!["B"]!["track_length_m"]!.GetValue<double>(), 2);
        Assert.Equal(Math.Round(a + b, 2), summary["site"]!["track_length_m"]!.GetValue<double>(), 2);
        Assert.Equal(9, summary["site"]!["images"]!.GetValue<int>());
        Assert.Equal(1, summary["folders"]!["B"]!["by_status"]!["no_gps"]!.GetValue<int>());
        Assert.Equal(3, paths["B"].Count);

        var geo = GpsAggregateStage.GeoJson(rows, paths);
        var features = geo["features"]!.AsArray();
        Assert.Equal(8, features.Count(f => f!["geometry"]!["type"]!.GetValue<string>() == "Point"));
        var lines = features.Where(f => f!["geometry"]!["type"]!.GetValue<string>() == "LineString").ToList();
        Assert.Equal(2, lines.Count);
        // GeoJSON is longitude first.
        var first = lines[0]!["geometry"]!["coordinates"]![0]!.AsArray();
        Assert.Equal(12.0, first[0]!.GetValue<double>());
        Assert.Equal(51.0, first[1]!.GetValue<double>());
    }

    [Fact]
    public void Points_csv_has_the_exact_header_one_row_each_and_quotes_what_needs_it()
    {
        var rows = new List<PointRow>
        {
            Ok("DJI_001", "a.jpg", -8.294250001, 115.46183, T0, -12.5, 95.25) with { },
            new("x,y", "say \"cheese\".jpg", GpsStatus.Error, "gps: not a JPEG: the file holds text", new GpsReading { Status = GpsStatus.Error }),
        };
        var csv = GpsAggregateStage.Csv(rows).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("folder,file,latitude,longitude,altitude_m,relative_altitude_m,taken_at,status,reason", csv[0]);
        Assert.Equal("DJI_001,a.jpg,-8.294250001,115.46183,-12.5,95.25,2025-06-02T09:30:00,ok,", csv[1]);
        Assert.Equal("\"x,y\",\"say \"\"cheese\"\".jpg\",,,,,,error,gps: not a JPEG: the file holds text", csv[2]);
        Assert.Equal(3, csv.Length);
    }

    [Fact]
    public void Failed_and_skipped_outcomes_become_error_rows_naming_the_file()
    {
        var file = new FileItem("sftp://u@h:22", "/site/DJI_001/a.jpg", "DJI_001", "a.jpg", 10, DateTimeOffset.UnixEpoch);
        var failed = GpsAggregateStage.ToRow(new Outcome<GpsPoint>(file.Key, null, new Failure("fetch", file.Key, "connection lost", 3), null, file));
        Assert.Equal(("DJI_001", "a.jpg", GpsStatus.Error, "fetch: connection lost"), (failed.Folder, failed.File, failed.Status, failed.Reason));
        var skipped = GpsAggregateStage.ToRow(new Outcome<GpsPoint>("/site/B/b.jpg", null, null, "not wanted", null));
        Assert.Equal(("/site/B", "b.jpg", GpsStatus.Error, "skipped: not wanted"), (skipped.Folder, skipped.File, skipped.Status, skipped.Reason));
        Assert.False(failed.Gps.HasPosition);
    }

    [Fact]
    public void Summary_json_is_valid_json_with_both_levels()
    {
        var rows = new List<PointRow> { Ok("A", "a.jpg", 1, 2, T0) };
        var (summary, _) = GpsAggregateStage.Summarise(rows, new GpsAggregateOptions());
        var parsed = JsonNode.Parse(summary.ToJsonString())!;
        Assert.NotNull(parsed["site"]!["bbox"]);
        Assert.NotNull(parsed["folders"]!["A"]!["centroid"]);
        Assert.Equal(0, parsed["site"]!["track_length_m"]!.GetValue<double>());
    }
}
