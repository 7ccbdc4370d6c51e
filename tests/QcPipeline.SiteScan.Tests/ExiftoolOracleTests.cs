using System.Globalization;
using QcPipeline.Core.Stages;
using QcPipeline.Media;
using QcPipeline.SiteScan;
using QcPipeline.TestKit;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>GpsReader against exiftool (`exiftool -n -csv`) on every real image in ../shared/data/gps.</summary>
public sealed class ExiftoolOracleTests
{
    private sealed record OracleRow(string File, double? Lat, double? Lon, double? Alt, string? Taken, double? RelAlt);

    private static List<OracleRow> Oracle()
    {
        var csv = SharedData.Find("gps/exiftool.csv")!;
        var dir = Path.GetDirectoryName(csv)!;
        var lines = File.ReadAllLines(csv);
        Assert.Equal("SourceFile,GPSLatitude,GPSLongitude,GPSAltitude,DateTimeOriginal,RelativeAltitude", lines[0]);
        return lines.Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            // No cell in this file is quoted; file names hold spaces and parentheses but no commas.
            var c = l.Split(',');
            Assert.Equal(6, c.Length);
            return new OracleRow(Path.GetFullPath(Path.Combine(dir, c[0])), Num(c[1]), Num(c[2]), Num(c[3]), c[4].Length > 0 ? c[4] : null, Num(c[5]));
        }).ToList();
    }

    private static double? Num(string s) => s.Length == 0 ? null : double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    [SharedDataFact("gps/exiftool.csv")]
    public void Every_image_agrees_with_exiftool_whole_file_and_header_only()
    {
        var rows = Oracle();
        Assert.True(rows.Count >= 30, $"the oracle lists {rows.Count} images");
        foreach (var row in rows)
        {
            Assert.True(File.Exists(row.File), row.File);
            var whole = GpsReader.Read(File.ReadAllBytes(row.File));
            var header = GpsReader.ReadFile(row.File);
            foreach (var (mode, r) in new[] { ("whole", whole), ("header", header) })
            {
                var what = $"{Path.GetFileName(row.File)} ({mode}): {r.Status} {r.Reason}";
                if (row.Lat is null || row.Lon is null)
                {
                    // No invented positions: where exiftool has none, neither do we.
                    Assert.False(r.HasPosition, what);
                    Assert.Contains(r.Status, new[] { GpsStatus.NoGps, GpsStatus.Error });
                    Assert.False(string.IsNullOrWhiteSpace(r.Reason), what);
                }
                else
                {
                    Assert.True(r.HasPosition, what);
                    Assert.True(Math.Abs(r.Latitude!.Value - row.Lat.Value) <= 1e-6, $"{what}: latitude {r.Latitude} vs exiftool {row.Lat}");
                    Assert.True(Math.Abs(r.Longitude!.Value - row.Lon.Value) <= 1e-6, $"{what}: longitude {r.Longitude} vs exiftool {row.Lon}");
                }
                if (row.Alt is null) Assert.Null(r.AltitudeM);
                else Assert.True(r.AltitudeM is { } a && Math.Abs(a - row.Alt.Value) <= 0.01, $"{what}: altitude {r.AltitudeM} vs exiftool {row.Alt}");
                if (row.RelAlt is null) Assert.Null(r.RelativeAltitudeM);
                else Assert.True(r.RelativeAltitudeM is { } ra && Math.Abs(ra - row.RelAlt.Value) <= 0.01, $"{what}: relative altitude {r.RelativeAltitudeM} vs exiftool {row.RelAlt}");
                if (row.Taken is not null)
                    Assert.Equal(DateTime.ParseExact(row.Taken, "yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture),
                        r.TakenAt!.Value.AddTicks(-(r.TakenAt.Value.Ticks % TimeSpan.TicksPerSecond)));
                Assert.Equal(whole with { }, header with { });
            }
        }
    }

    [SharedDataFact("gps/bad_inputs")]
    public void Hostile_real_files_get_the_status_and_reason_exiftool_implies()
    {
        var dir = SharedData.Find("gps/bad_inputs")!;
        GpsReading Read(string name) => GpsReader.ReadFile(Path.Combine(dir, name));

        var nullIsland = Read("Samsung GT-I9000 (Galaxy S).jpg");
        Assert.Equal(GpsStatus.Suspect, nullIsland.Status);
        Assert.Contains("null island", nullIsland.Reason);

        // A W reference on top of a negative-looking value: -85.48, not +85.48; AltitudeRef 1: below sea level.
        var issue173 = Read("Issue 173 (dotnet).jpg");
        Assert.Equal(GpsStatus.Ok, issue173.Status);
        Assert.True(issue173.Longitude < -85.48 && issue173.Longitude > -85.49, $"{issue173.Longitude}");
        Assert.Equal(-848, issue173.AltitudeM);

        // Seconds stored as 0/0: MetadataExtractor reads 0 there; exiftool (and we) report no position.
        var d5000 = Read("Nikon D5000.jpg");
        Assert.Equal(GpsStatus.NoGps, d5000.Status);
        Assert.Contains("0/0", d5000.Reason);
        Assert.Equal(324.145, d5000.AltitudeM!.Value, 3);

        var versionOnly = Read("Nikon D1X.jpg");
        Assert.Equal(GpsStatus.NoGps, versionOnly.Status);
        Assert.Contains("only its version", versionOnly.Reason);

        var empty = Read("45-gps_ifd.jpg");
        Assert.Equal(GpsStatus.NoGps, empty.Status);
        Assert.Contains("empty", empty.Reason);

        var leica = Read("Leica T (Typ 701).jpg");
        Assert.Equal(GpsStatus.NoGps, leica.Status);
        Assert.Contains("void", leica.Reason);
    }

    [SharedDataFact("gps/dji_zh20t")]
    public void Dji_frames_carry_camera_gimbal_and_the_xmp_time_offset()
    {
        var file = Directory.EnumerateFiles(SharedData.Find("gps/dji_zh20t")!, "*.JPG").Order().First();
        var r = GpsReader.ReadFile(file);
        Assert.Equal("DJI", r.Make);
        Assert.Equal("ZH20T", r.Model);
        Assert.Equal(-90.0, r.GimbalPitchDeg);
        Assert.NotNull(r.GimbalYawDeg);
        Assert.NotNull(r.FlightYawDeg);
        // DateTimeOriginal has no offset; the XMP CreateDate of the same second says +02:00.
        Assert.Equal(TimeSpan.FromHours(2), r.UtcOffset);
        Assert.EndsWith("+02:00", r.TakenAtText);
    }

    [SharedDataFact("gps/phones_cameras")]
    public void Header_only_read_through_the_shared_extent_matches_the_whole_file()
    {
        foreach (var file in Directory.EnumerateFiles(SharedData.Find("gps/phones_cameras")!))
        {
            var bytes = File.ReadAllBytes(file);
            var header = JpegMetadataExtent.ReadHeader((o, n) => bytes.AsSpan((int)o, (int)Math.Min(n, bytes.Length - o)).ToArray(),
                bytes.Length, 4096, 4 << 20, file, out var isJpeg, out _);
            Assert.True(isJpeg);
            Assert.True(header.Length < bytes.Length || bytes.Length < 4096, file);
            Assert.Equal(GpsReader.Read(bytes), GpsReader.Read(header));
        }
    }
}
