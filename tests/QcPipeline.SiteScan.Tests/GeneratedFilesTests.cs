using System.Diagnostics;
using System.Globalization;
using QcPipeline.Core.Stages;
using QcPipeline.Media;
using QcPipeline.SiteScan;
using QcPipeline.Demo.Generation;
using QcPipeline.Vision;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>The JPEGs we generate are real (OpenCV decodes them to the pixels we drew) and read back as written;
/// hostile files each come out as one status with a reason, in agreement with exiftool where it is installed.</summary>
public sealed class GeneratedFilesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"qc-sitescan-gen-{Guid.NewGuid():N}");

    private static void Near(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{actual} is not within {tolerance} of {expected}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Encoded_pictures_decode_to_what_was_drawn()
    {
        // A picture with flat areas and edges: every 8×8 block different.
        (byte, byte, byte) Draw(int x, int y) => ((byte)(x * 4), (byte)(y * 5), (byte)((x / 8 + y / 8) % 2 == 0 ? 200 : 40));
        var bytes = new JpegBuilder { Width = 61, Height = 45, Quality = 95, Pixel = Draw, Make = "DJI" }.Build();
        using var image = Image.Decode(bytes);
        Assert.Equal((61, 45, 3), (image.Width, image.Height, image.Channels));
        var pixels = image.GetPixels(); // OpenCV order: B, G, R
        double error = 0;
        for (var y = 0; y < 45; y++)
            for (var x = 0; x < 61; x++)
            {
                var (r, g, b) = Draw(x, y);
                var i = (y * 61 + x) * 3;
                error += Math.Abs(pixels[i] - b) + Math.Abs(pixels[i + 1] - g) + Math.Abs(pixels[i + 2] - r);
            }
        var mean = error / (61 * 45 * 3);
        Assert.True(mean < 6, $"mean absolute error {mean:F2} per sample");
    }

    [Fact]
    public void A_padded_photo_is_the_size_asked_a_valid_jpeg_and_its_header_is_small()
    {
        var bytes = new JpegBuilder { Make = "DJI", Gps = GpsEntries.Position(51.3, 12.3, 150), PadTo = 5_000_000 }.Build();
        Assert.InRange(bytes.Length, 4_700_000, 5_300_000);
        using var image = Image.Decode(bytes);
        Assert.True(image.Width * image.Height > 5_000_000, $"{image.Width}×{image.Height}");
        var header = JpegMetadataExtent.ReadHeader((o, n) => bytes.AsSpan((int)o, (int)Math.Min(n, bytes.Length - o)).ToArray(),
            bytes.Length, 16 * 1024, 1 << 20, "padded", out var isJpeg, out _);
        Assert.True(isJpeg);
        Assert.True(header.Length < 2048, $"header {header.Length} bytes");
        Near(51.3, GpsReader.Read(header).Latitude!.Value, 1e-9);
    }

    [Fact]
    public void Demo_site_reads_back_exactly_as_generated_and_looks_like_a_survey()
    {
        var photos = SiteGenerator.Demo(_dir);
        Assert.InRange(photos.Count, 50, 70);
        Assert.Equal(3, photos.Select(p => p.Folder).Distinct().Count());
        foreach (var p in photos)
        {
            var r = GpsReader.ReadFile(p.Path);
            Assert.Equal(GpsStatus.Ok, r.Status);
            Near(p.Latitude, r.Latitude!.Value, 1e-8);
            Near(p.Longitude, r.Longitude!.Value, 1e-8);
            Assert.Equal(p.AltitudeM, r.AltitudeM!.Value, 3);
            Assert.Equal(p.RelativeAltitudeM, r.RelativeAltitudeM!.Value, 3);
            Assert.Equal(p.TakenAt, r.TakenAt);
            Assert.Equal(p.UtcOffset, r.UtcOffset);
            Assert.Equal(p.GimbalPitchDeg, r.GimbalPitchDeg!.Value, 2);
            Assert.Equal(("DJI", "FC6310S"), (r.Make, r.Model));
        }
        // Photos of one flight are seconds and metres apart, all within a few hundred metres of the tower.
        foreach (var flight in photos.GroupBy(p => p.Folder))
        {
            var list = flight.ToList();
            for (var i = 1; i < list.Count; i++)
            {
                Assert.Equal(TimeSpan.FromSeconds(2), list[i].TakenAt - list[i - 1].TakenAt);
                Assert.InRange(SiteSummary.Distance(list[i - 1].Latitude, list[i - 1].Longitude, list[i].Latitude, list[i].Longitude), 0.5, 120);
            }
            Assert.All(list, p => Assert.InRange(SiteSummary.Distance(51.366210, 12.309040, p.Latitude, p.Longitude), 0, 400));
        }
    }

    [Fact]
    public void Generating_again_leaves_identical_files_untouched()
    {
        var first = SiteGenerator.Demo(_dir);
        var stamp = File.GetLastWriteTimeUtc(first[0].Path);
        File.SetLastWriteTimeUtc(first[0].Path, stamp.AddHours(-1));
        SiteGenerator.Demo(_dir);
        Assert.Equal(stamp.AddHours(-1), File.GetLastWriteTimeUtc(first[0].Path));
    }

    [Fact]
    public void Like_users_plans_twelve_folders_of_1375_photos_of_5_MB_with_513_in_the_largest()
    {
        // Planned, not written: the site is 7 GB (the benchmark writes it).
        var plan = SiteGenerator.Plan(_dir, SiteGenerator.LikeUsersSpec);
        Assert.Equal(1375, plan.Count);
        var folders = plan.GroupBy(p => p.Folder).Select(g => g.Count()).ToList();
        Assert.Equal(12, folders.Count);
        Assert.Equal(513, folders.Max());
        Assert.Equal(plan.Count, plan.Select(p => p.Path).Distinct().Count());
        Assert.Equal(5_000_000, SiteGenerator.LikeUsersSpec.PadTo);
    }

    [Fact]
    public void Hostile_files_each_give_one_status_with_a_reason_whole_or_header_only()
    {
        var files = SiteGenerator.Hostile(_dir);
        Assert.True(files.Count >= 15);
        foreach (var h in files)
        {
            var bytes = File.ReadAllBytes(h.Path);
            var whole = GpsReader.Read(bytes);
            var header = GpsReader.ReadFile(h.Path);
            foreach (var r in new[] { whole, header })
            {
                Assert.True(r.Status == h.Expected, $"{h.Name} ({h.What}): {r.Status} {r.Reason}, expected {h.Expected}");
                if (h.Expected != GpsStatus.Ok)
                {
                    Assert.False(string.IsNullOrWhiteSpace(r.Reason), h.Name);
                    Assert.Contains(h.ReasonContains, r.Reason);
                    Assert.DoesNotContain('\n', r.Reason);
                }
                if (h.Expected is GpsStatus.Error or GpsStatus.NoGps) Assert.False(r.HasPosition, h.Name);
            }
            Assert.Equal(whole, header);
        }
        // Signs: a negative rational with S/W is negative once, and AltitudeRef 1 is below sea level.
        var negative = GpsReader.ReadFile(files.Single(f => f.Name == "negative-rational-with-ref.jpg").Path);
        Assert.Equal(-(33 + 51 / 60.0 + 36 / 3600.0), negative.Latitude!.Value, 9);
        Assert.Equal(-(70 + 40 / 60.0 + 12 / 3600.0), negative.Longitude!.Value, 9);
        Assert.Equal(-848, negative.AltitudeM);
    }

    [ExiftoolFact]
    public void Hostile_and_demo_files_agree_with_exiftool()
    {
        var exiftool = ExiftoolFactAttribute.Path!;
        SiteGenerator.Hostile(Path.Combine(_dir, "hostile"));
        SiteGenerator.Demo(Path.Combine(_dir, "demo"));
        var psi = new ProcessStartInfo(exiftool) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        foreach (var a in new[] { "-n", "-csv", "-r", "-GPSLatitude", "-GPSLongitude", "-GPSAltitude", "." }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var csv = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).ToList();
        Assert.True(lines.Count >= 70, csv);
        foreach (var line in lines)
        {
            var c = line.Split(',');
            var path = Path.Combine(_dir, c[0]);
            var r = GpsReader.ReadFile(path);
            double? Num(string s) => s.Length == 0 ? null : double.Parse(s, CultureInfo.InvariantCulture);
            var (lat, lon, alt) = (Num(c[1]), Num(c[2]), Num(c[3]));
            if (lat is null || lon is null) Assert.False(r.HasPosition, $"{c[0]}: exiftool has no position, we have {r.Latitude},{r.Longitude}");
            else
            {
                Assert.True(r.HasPosition, $"{c[0]}: {r.Status} {r.Reason}");
                Assert.True(Math.Abs(lat.Value - r.Latitude!.Value) <= 1e-6 && Math.Abs(lon.Value - r.Longitude!.Value) <= 1e-6, $"{c[0]}: {r.Latitude},{r.Longitude} vs {lat},{lon}");
            }
            if (alt is null) Assert.Null(r.AltitudeM);
            else Assert.True(r.AltitudeM is { } a && Math.Abs(a - alt.Value) <= 0.01, $"{c[0]}: altitude {r.AltitudeM} vs {alt}");
        }
    }
}
