using QcPipeline.Core.Stages;
using QcPipeline.Media;
using QcPipeline.Demo.Generation;
using QcPipeline.TestKit;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>The camera and flight fields flight QC reads from a photo's APP1 EXIF and XMP, and the bad headers it
/// meets: junk values, a damaged or sparse file.</summary>
public sealed class FlightFieldsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qc-fields-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PlannedPhoto Photo() => FlightPlans.Lawnmower("f", new FlightPlan { RtkFlag = 50 })[5];

    [Fact]
    public void Every_field_is_read_from_the_exif_and_xmp_alone()
    {
        var p = Photo();
        var bytes = p.Builder().Build();
        var r = GpsReader.Read(bytes);
        Assert.Equal(GpsStatus.Ok, r.Status);
        Assert.Equal(("DJI", "FC6310S"), (r.Make, r.Model));
        Assert.Equal(0.001, r.ExposureTimeS!.Value, 9);
        Assert.Equal(100, r.Iso);
        Assert.Equal(8.8, r.FocalLengthMm!.Value, 6);
        Assert.Equal(24, r.FocalLength35mm);
        Assert.Equal((5472, 3648), (r.ImageWidth, r.ImageHeight)); // ExifImageWidth/Height, not the 16×16 picture
        Assert.Equal(p.RelativeAltitude!.Value, r.RelativeAltitudeM!.Value, 3);
        Assert.Equal(p.AbsoluteAltitude!.Value, r.AbsoluteAltitudeM!.Value, 3);
        Assert.Equal(p.GimbalPitch!.Value, r.GimbalPitchDeg!.Value, 2);
        Assert.Equal(p.GimbalYaw!.Value, r.GimbalYawDeg!.Value, 2);
        Assert.Equal(p.FlightYaw!.Value, r.FlightYawDeg!.Value, 2);
        Assert.Equal((p.SpeedNorth!.Value, p.SpeedEast!.Value, 0.0), (r.FlightXSpeed!.Value, r.FlightYSpeed!.Value, r.FlightZSpeed!.Value));
        Assert.Equal(50, r.RtkFlag);
        Assert.Equal((0.012, 0.011, 0.021), (r.RtkStdLonM!.Value, r.RtkStdLatM!.Value, r.RtkStdHgtM!.Value));
        Assert.NotNull(r.HeaderHash);
        // Only APP1 is read for these: the same values from the EXIF and XMP segments alone.
        var app1Only = Segments(bytes, keep: m => m == 0xE1);
        Assert.Equal(r, GpsReader.Read(app1Only) with { ImageWidth = r.ImageWidth });
    }

    [Fact]
    public void The_header_hash_is_the_same_from_a_header_fetch_and_a_whole_file_and_differs_between_captures()
    {
        var path = Path.Combine(_dir, "a.JPG");
        Photo().Builder(160, 120).Write(path);
        var bytes = File.ReadAllBytes(path);
        var header = JpegMetadataExtent.ReadHeader((o, n) => bytes.AsSpan((int)o, (int)Math.Min(n, bytes.Length - o)).ToArray(),
            bytes.Length, 4096, 1 << 20, "a", out _, out _);
        Assert.True(header.Length < bytes.Length);
        var fromHeader = GpsReader.Read(header, bytes.Length).HeaderHash;
        Assert.Equal(GpsReader.Read(bytes).HeaderHash, fromHeader);
        Assert.Equal(GpsReader.ReadFile(path).HeaderHash, fromHeader);
        Assert.NotEqual(GpsReader.Read(FlightPlans.Lawnmower("f", new FlightPlan())[6].Builder().Build()).HeaderHash, fromHeader);
    }

    [SharedDataFact("gps/dji_zh20t")]
    public async Task A_real_frames_reading_is_the_same_from_what_gps_exif_fetches_and_from_the_whole_file()
    {
        // What gps.exif declares (EXIF tags without the thumbnail, and XMP): the header it gets has zeros for the thumbnail.
        var needs = new ExifGpsStage().HeaderNeeds;
        foreach (var path in Directory.GetFiles(SharedData.Find("gps/dji_zh20t")!, "*.JPG"))
        {
            var bytes = File.ReadAllBytes(path);
            var header = await JpegMetadataExtent.ReadHeaderAsync((o, n, _) => Task.FromResult(bytes.AsSpan((int)o, (int)Math.Min(n, bytes.Length - o)).ToArray()),
                bytes.Length, 4096, 1 << 20, needs, path, default);
            Assert.True(header.BytesRead < 30_000, $"{path}: {header.BytesRead} bytes read");
            var whole = GpsReader.Read(bytes);
            Assert.Equal(GpsStatus.Ok, whole.Status);
            Assert.NotNull(whole.GimbalPitchDeg);
            Assert.Equal(whole, GpsReader.Read(header.Bytes, bytes.Length));
        }
    }

    [Fact]
    public void Values_no_camera_records_are_left_out()
    {
        var r = GpsReader.Read(new JpegBuilder
        {
            Make = "DJI", TakenAt = new DateTime(2025, 6, 2, 10, 0, 0),
            Gps = [.. GpsEntries.Position(51.3, 12.3), TiffEntry.Bytes(5, 0), TiffEntry.Rationals(6, (4_294_967_295, 1))],
            Camera = new CameraSettings { ExposureTime = 1.0 / 1000 },
            Xmp = new DjiXmp { RelativeAltitude = 1e300, GimbalPitchDegree = -90, FlightXSpeed = 12000 },
        }.Build());
        Assert.Equal(GpsStatus.Ok, r.Status);
        Assert.Null(r.AltitudeM);          // 4,294,967,295 m: a corrupt rational
        Assert.Null(r.RelativeAltitudeM);
        Assert.Null(r.FlightXSpeed);       // faster than sound
        Assert.Equal(-90, r.GimbalPitchDeg);
        Assert.Null(CacheEntryCheck.Problem(r)); // what the reader keeps, the cache takes back
    }

    [Fact]
    public void A_sparse_four_gigabyte_file_after_its_metadata_is_damaged_not_truncated()
    {
        // The first bytes of a real photo, up to the end of its metadata, then 4 GiB of holes (zeros).
        var good = Photo().Builder(160, 120).Build();
        var metadataEnd = MetadataEnd(good);
        var path = Path.Combine(_dir, "sparse.JPG");
        using (var f = new FileStream(path, FileMode.CreateNew))
        {
            f.Write(good, 0, metadataEnd);
            f.SetLength(4L << 30);
        }
        var item = new FileItem("local", path, ".", "sparse.JPG", 4L << 30, DateTimeOffset.Now) { LocalPath = path };
        var file = new FileStream(path, FileMode.Open, FileAccess.Read);
        var header = JpegMetadataExtent.ReadHeader((o, n) =>
        {
            var b = new byte[n];
            var got = RandomAccess.Read(file.SafeFileHandle, b, o);
            return got == n ? b : b[..got];
        }, file.Length, 16 * 1024, 2 << 20, path, out _, out var whole);
        file.Dispose();
        foreach (var reading in new[] { GpsReader.Read(FileContent.From(item, header, whole)), GpsReader.ReadFile(path) })
        {
            Assert.Equal(GpsStatus.Error, reading.Status);
            Assert.Contains("corrupt JPEG", reading.Reason);
            Assert.Contains("not a segment marker", reading.Reason);
            Assert.Contains("4,294,967,296 bytes", reading.Reason);
            Assert.DoesNotContain("ends after", reading.Reason);
        }
        // A file really cut there is still truncated, and says so.
        var cut = Path.Combine(_dir, "cut.JPG");
        File.WriteAllBytes(cut, good[..metadataEnd]);
        Assert.Contains("truncated", GpsReader.ReadFile(cut).Reason);
    }

    // Where the image data (or the frame segments) begin: after the APP segments.
    private static int MetadataEnd(byte[] jpeg)
    {
        var pos = 2;
        while (jpeg[pos + 1] is >= 0xE0 and <= 0xEF) pos += 2 + ((jpeg[pos + 2] << 8) | jpeg[pos + 3]);
        return pos;
    }

    // SOI, the segments kept, EOI.
    private static byte[] Segments(byte[] jpeg, Func<byte, bool> keep)
    {
        var output = new List<byte> { 0xFF, 0xD8 };
        var pos = 2;
        while (jpeg[pos + 1] != 0xDA)
        {
            var length = (jpeg[pos + 2] << 8) | jpeg[pos + 3];
            if (keep(jpeg[pos + 1])) output.AddRange(jpeg.AsSpan(pos, 2 + length).ToArray());
            pos += 2 + length;
        }
        output.AddRange([0xFF, 0xD9]);
        return output.ToArray();
    }
}
