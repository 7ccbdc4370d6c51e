using QcPipeline.Core.Outputs;
using QcPipeline.SiteScan;

namespace QcPipeline.Demo.Generation;

/// <summary>How a flight moves its camera.</summary>
public enum FlightPattern
{
    /// <summary>A mapping grid: parallel lines, back and forth, camera straight down.</summary>
    Lawnmower,
    /// <summary>A circle around the tower at one height, camera looking at it.</summary>
    Orbit,
    /// <summary>Circles around the tower at rising heights (an inspection climb).</summary>
    Spiral,
}

/// <summary>One folder of a site: one flight.</summary>
public sealed record FlightSpec(string Folder, FlightPattern Pattern, int Photos);

/// <summary>A survey site: where its tower is, when it was flown, and its flights.</summary>
public sealed record SiteSpec
{
    /// <summary>The tower (and the centre of every flight).</summary>
    public double Latitude { get; init; } = 51.366210;
    /// <summary>See <see cref="Latitude"/>.</summary>
    public double Longitude { get; init; } = 12.309040;
    /// <summary>Ground height above sea level at the take-off point.</summary>
    public double GroundAltitude { get; init; } = 157.5;
    /// <summary>The first photo's local time.</summary>
    public DateTime Start { get; init; } = new(2025, 6, 2, 9, 30, 0);
    /// <summary>The local time's offset from UTC.</summary>
    public TimeSpan UtcOffset { get; init; } = TimeSpan.FromHours(2);
    /// <summary>Time between photos.</summary>
    public TimeSpan PhotoInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Time between the end of one flight and the start of the next (battery swap).</summary>
    public TimeSpan FlightGap { get; init; } = TimeSpan.FromMinutes(6);
    /// <summary>The flights, in the order flown.</summary>
    public required IReadOnlyList<FlightSpec> Flights { get; init; }
    /// <summary>Make each photo about this many bytes (varied by ±8 % per photo); 0: small photos.</summary>
    public long PadTo { get; init; }
    /// <summary>Picture width of small photos, pixels.</summary>
    public int Width { get; init; } = 160;
    /// <summary>Picture height of small photos, pixels.</summary>
    public int Height { get; init; } = 120;
}

/// <summary>One photo the generator wrote, with the values a reader should find in it.</summary>
public sealed record GeneratedPhoto(string Folder, string Name, string Path, double Latitude, double Longitude,
    double AltitudeM, double RelativeAltitudeM, DateTime TakenAt, TimeSpan UtcOffset, double GimbalPitchDeg, double GimbalYawDeg);

/// <summary>A hostile file and what a reader must make of it.</summary>
public sealed record HostileFile(string Name, string Path, GpsStatus Expected, string ReasonContains, string What);

/// <summary>
/// Writes survey sites of real JPEGs (see <see cref="JpegBuilder"/>): DJI-style folders and names, EXIF GPS,
/// time and camera, DJI XMP flight data, laid out as real flights (mapping grid, orbits and an inspection
/// climb around a tower). Deterministic: the same spec writes the same bytes, and files already there with
/// those bytes are left alone (so their times, and caches keyed on them, stay valid).
/// </summary>
public static class SiteGenerator
{
    private const double EarthRadius = 6_371_008.8;

    /// <summary>The default demo: three flights, 60 small photos.</summary>
    public static IReadOnlyList<GeneratedPhoto> Demo(string dir) => Generate(dir, DemoSpec);

    /// <summary>The spec of <see cref="Demo"/>.</summary>
    public static SiteSpec DemoSpec { get; } = new()
    {
        Flights =
        [
            new FlightSpec("DJI_202506020930_001_mapping", FlightPattern.Lawnmower, 30),
            new FlightSpec("DJI_202506020945_002_orbit", FlightPattern.Orbit, 18),
            new FlightSpec("DJI_202506020955_003_tower", FlightPattern.Spiral, 12),
        ],
    };

    /// <summary>A site the size our users fly: 12 folders, 1,375 photos of about 5 MB, 513 in the largest
    /// (about 6.9 GB; files already there with the same bytes are not rewritten).</summary>
    public static IReadOnlyList<GeneratedPhoto> LikeUsers(string dir) => Generate(dir, LikeUsersSpec);

    /// <summary>The spec of <see cref="LikeUsers"/>.</summary>
    public static SiteSpec LikeUsersSpec { get; } = new()
    {
        PadTo = 5_000_000,
        Flights =
        [
            new FlightSpec("DJI_202506020930_001_mapping-north", FlightPattern.Lawnmower, 513),
            new FlightSpec("DJI_202506021025_002_mapping-south", FlightPattern.Lawnmower, 187),
            new FlightSpec("DJI_202506021050_003_orbit-60m", FlightPattern.Orbit, 142),
            new FlightSpec("DJI_202506021110_004_orbit-40m", FlightPattern.Orbit, 118),
            new FlightSpec("DJI_202506021130_005_tower-climb", FlightPattern.Spiral, 96),
            new FlightSpec("DJI_202506021145_006_mapping-east", FlightPattern.Lawnmower, 84),
            new FlightSpec("DJI_202506021200_007_tower-climb", FlightPattern.Spiral, 71),
            new FlightSpec("DJI_202506021215_008_orbit-25m", FlightPattern.Orbit, 52),
            new FlightSpec("DJI_202506021225_009_mapping-west", FlightPattern.Lawnmower, 41),
            new FlightSpec("DJI_202506021235_010_tower-top", FlightPattern.Spiral, 33),
            new FlightSpec("DJI_202506021245_011_orbit-access", FlightPattern.Orbit, 22),
            new FlightSpec("DJI_202506021250_012_spot-checks", FlightPattern.Orbit, 16),
        ],
    };

    /// <summary>Writes the site under <paramref name="dir"/> (only files whose bytes changed); returns its photos.</summary>
    public static IReadOnlyList<GeneratedPhoto> Generate(string dir, SiteSpec spec)
    {
        var photos = Plan(dir, spec);
        Parallel.ForEach(photos.Select((p, i) => (p, i)), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) },
            x => WriteIfChanged(x.p.Path, Builder(x.p, spec, x.i)));
        return photos;
    }

    /// <summary>Where each photo of the site is taken, without writing anything.</summary>
    public static IReadOnlyList<GeneratedPhoto> Plan(string dir, SiteSpec spec)
    {
        var photos = new List<GeneratedPhoto>();
        var clock = spec.Start;
        var number = 1;
        for (var f = 0; f < spec.Flights.Count; f++)
        {
            var flight = spec.Flights[f];
            var path = Path(flight, f);
            for (var i = 0; i < flight.Photos; i++)
            {
                var (east, north, height, pitch, yaw) = path(i);
                var (lat, lon) = Offset(spec.Latitude, spec.Longitude, east, north);
                var name = $"DJI_{clock:yyyyMMddHHmmss}_{number:0000}_D.JPG";
                photos.Add(new GeneratedPhoto(flight.Folder, name, System.IO.Path.Combine(dir, flight.Folder, name), lat, lon,
                    Math.Round(spec.GroundAltitude + height, 3), Math.Round(height, 3), clock, spec.UtcOffset, pitch, yaw));
                clock += spec.PhotoInterval;
                number++;
            }
            clock += spec.FlightGap;
        }
        return photos;
    }

    /// <summary>A point <paramref name="east"/>/<paramref name="north"/> metres from a position (local flat
    /// approximation, well under a centimetre off over a site).</summary>
    public static (double Lat, double Lon) Offset(double lat, double lon, double east, double north)
    {
        var dLat = north / EarthRadius * 180 / Math.PI;
        var dLon = east / (EarthRadius * Math.Cos(lat * Math.PI / 180)) * 180 / Math.PI;
        return (lat + dLat, lon + dLon);
    }

    // Each flight is a function from photo index to (east, north, height above take-off, gimbal pitch, yaw).
    private static Func<int, (double E, double N, double H, double Pitch, double Yaw)> Path(FlightSpec flight, int index)
    {
        var n = flight.Photos;
        switch (flight.Pattern)
        {
            case FlightPattern.Lawnmower:
            {
                // Lines 25 m apart, a photo every 12 m, over a block beside the tower (each flight its own block).
                var perLine = Math.Max(2, (int)Math.Ceiling(Math.Sqrt(n * 2.0)));
                var (blockE, blockN) = (index % 2 == 0 ? -40.0 : 40.0, (index / 2 % 2 == 0 ? -1 : 1) * 30.0);
                return i =>
                {
                    int line = i / perLine, along = i % perLine;
                    var forward = line % 2 == 0;
                    var e = blockE + (forward ? along : perLine - 1 - along) * 12.0 - perLine * 6.0;
                    var no = blockN + line * 25.0;
                    return (e, no, 80.0, -90.0, forward ? 90.0 : -90.0);
                };
            }
            case FlightPattern.Orbit:
            {
                var radius = 25.0 + index % 4 * 12.0;
                return i =>
                {
                    var a = 2 * Math.PI * i / n;
                    var (e, no) = (radius * Math.Sin(a), radius * Math.Cos(a));
                    var towards = Normalise(Math.Atan2(-e, -no) * 180 / Math.PI);
                    return (e, no, 35.0, -25.0, towards);
                };
            }
            default:
            {
                // Twelve photos a turn, rising 6 m a turn, 15 m from the tower's axis.
                return i =>
                {
                    var a = 2 * Math.PI * i / 12;
                    var (e, no) = (15 * Math.Sin(a), 15 * Math.Cos(a));
                    var towards = Normalise(Math.Atan2(-e, -no) * 180 / Math.PI);
                    return (e, no, 10.0 + 6.0 * i / 12, -10.0, towards);
                };
            }
        }
    }

    private static double Normalise(double deg) => deg > 180 ? deg - 360 : deg <= -180 ? deg + 360 : deg;

    private static JpegBuilder Builder(GeneratedPhoto p, SiteSpec spec, int index) => new()
    {
        Width = spec.Width,
        Height = spec.Height,
        Make = "DJI",
        Model = "FC6310S",
        TakenAt = p.TakenAt,
        Gps = GpsEntries.Position(p.Latitude, p.Longitude, p.AltitudeM),
        // Like DJI: no OffsetTimeOriginal in EXIF; the offset is in XMP's CreateDate.
        Xmp = new DjiXmp
        {
            Make = "DJI", Model = "FC6310S", CreateDate = p.TakenAt, CreateDateOffset = p.UtcOffset,
            Latitude = p.Latitude, Longitude = p.Longitude, AbsoluteAltitude = p.AltitudeM, RelativeAltitude = p.RelativeAltitudeM,
            GimbalPitchDegree = p.GimbalPitchDeg, GimbalYawDegree = p.GimbalYawDeg, FlightYawDegree = p.GimbalYawDeg,
        },
        PadTo = spec.PadTo > 0 ? (long)(spec.PadTo * (0.92 + 0.16 * Jitter(index))) : 0,
    };

    // A repeatable number in [0, 1) for photo i.
    private static double Jitter(int i) => (uint)(i * 2654435761u) / (double)uint.MaxValue;

    /// <summary>Writes the photo unless its file already holds it (keeping its time). Generated files differ in
    /// their first bytes (metadata) or their length (image data), so those are what is compared.</summary>
    private static void WriteIfChanged(string path, JpegBuilder builder)
    {
        var probe = new ProbeStream(64 * 1024);
        builder.WriteTo(probe);
        var info = new FileInfo(path);
        if (info.Exists && info.Length == probe.Length && SamePrefix(path, probe.Prefix)) return;
        Directory.CreateDirectory(info.DirectoryName!);
        AtomicFile.Write(path, builder.WriteTo);
    }

    private static bool SamePrefix(string path, ReadOnlySpan<byte> prefix)
    {
        var buffer = new byte[prefix.Length];
        using var file = File.OpenRead(path);
        file.ReadExactly(buffer);
        return prefix.SequenceEqual(buffer);
    }

    /// <summary>Counts what is written and keeps only its first bytes.</summary>
    private sealed class ProbeStream(int keep) : Stream
    {
        private readonly MemoryStream _prefix = new();
        private long _length;

        public ReadOnlySpan<byte> Prefix => _prefix.GetBuffer().AsSpan(0, (int)_prefix.Length);
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var room = keep - (int)_prefix.Length;
            if (room > 0) _prefix.Write(buffer[..Math.Min(room, buffer.Length)]);
            _length += buffer.Length;
        }

        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Files that test a reader's manners: each must come out as one error, no_gps or suspect row with a
    /// reason (or ok where exiftool also reads a position), never a crash and never an invented position.</summary>
    public static IReadOnlyList<HostileFile> Hostile(string dir)
    {
        Directory.CreateDirectory(dir);
        var at = new DateTime(2025, 6, 2, 11, 0, 0);
        var files = new List<HostileFile>();
        void Add(string name, GpsStatus expected, string reason, string what, byte[] bytes)
        {
            var path = System.IO.Path.Combine(dir, name);
            File.WriteAllBytes(path, bytes);
            files.Add(new HostileFile(name, path, expected, reason, what));
        }
        JpegBuilder Photo(IReadOnlyList<TiffEntry>? gps) => new() { Make = "DJI", Model = "FC6310S", TakenAt = at, Gps = gps };
        var good = Photo(GpsEntries.Position(51.3662, 12.309, 180)).Build();
        var app1End = 4 + ((good[4] << 8) | good[5]);

        Add("zero-byte.jpg", GpsStatus.Error, "empty file", "a zero-byte file", []);
        Add("notes.jpg", GpsStatus.Error, "holds text", "a text file named .jpg", "flight log: battery 2 swapped at 11:02\n"u8.ToArray());
        Add("truncated-in-exif.jpg", GpsStatus.Error, "truncated", "a JPEG cut inside its EXIF segment", good[..(app1End / 2)]);
        Add("truncated-before-image.jpg", GpsStatus.Error, "truncated", "a JPEG cut after its metadata, before the image data", good[..app1End]);
        Add("cut-in-image-data.jpg", GpsStatus.Ok, "", "a JPEG cut inside its image data (metadata intact: exiftool reads it too)", good[..(good.Length - 200)]);
        Add("broken-gps-pointer.jpg", GpsStatus.NoGps, "GPS", "EXIF whose GPS pointer points outside the segment",
            (Photo(GpsEntries.Position(51.3662, 12.309, 180)) with { Damage = ExifDamage.GpsPointerOutOfRange }).Build());
        Add("broken-ifd0-offset.jpg", GpsStatus.NoGps, "EXIF", "EXIF whose first directory offset points outside the segment",
            (Photo(GpsEntries.Position(51.3662, 12.309, 180)) with { Damage = ExifDamage.Ifd0OffsetOutOfRange }).Build());
        Add("broken-gps-value.jpg", GpsStatus.NoGps, "latitude", "EXIF whose GPS latitude value lies outside the segment",
            (Photo(GpsEntries.Position(51.3662, 12.309, 180)) with { Damage = ExifDamage.GpsValueOffsetOutOfRange }).Build());
        Add("no-gps.jpg", GpsStatus.NoGps, "no GPS", "EXIF without a GPS block", Photo(null).Build());
        Add("no-exif.jpg", GpsStatus.NoGps, "no EXIF", "no EXIF at all", (Photo(null) with { WithExif = false }).Build());
        Add("empty-gps.jpg", GpsStatus.NoGps, "empty", "an empty GPS block", Photo([]).Build());
        Add("gps-version-only.jpg", GpsStatus.NoGps, "only its version", "a GPS block holding only its version",
            Photo([TiffEntry.Bytes(0, 2, 2, 0, 0)]).Build());
        Add("null-island.jpg", GpsStatus.Suspect, "null island", "position 0,0",
            Photo([TiffEntry.Ascii(1, "N"), TiffEntry.Rationals(2, (0, 1), (0, 1), (0, 1)), TiffEntry.Ascii(3, "E"), TiffEntry.Rationals(4, (0, 1), (0, 1), (0, 1))]).Build());
        Add("zero-over-zero-seconds.jpg", GpsStatus.NoGps, "0/0", "seconds stored as 0/0 (MetadataExtractor would read 0)",
            Photo([TiffEntry.Ascii(1, "N"), TiffEntry.Rationals(2, (48, 1), (5332358, 100000), (0, 0)), TiffEntry.Ascii(3, "E"), TiffEntry.Rationals(4, (2, 1), (1720, 100), (0, 0))]).Build());
        Add("void-fix.jpg", GpsStatus.NoGps, "void", "GPSStatus V with empty references and 0/0 coordinates",
            Photo([TiffEntry.Ascii(1, ""), TiffEntry.Rationals(2, (0, 0), (0, 0), (0, 0)), TiffEntry.Ascii(3, ""), TiffEntry.Rationals(4, (0, 0), (0, 0), (0, 0)), TiffEntry.Ascii(9, "V")]).Build());
        Add("void-with-position.jpg", GpsStatus.Suspect, "GPSStatus V", "GPSStatus V but coordinates recorded",
            Photo([.. GpsEntries.Position(51.3662, 12.309, 180, withStatus: false), TiffEntry.Ascii(9, "V")]).Build());
        Add("latitude-out-of-range.jpg", GpsStatus.Suspect, "outside ±90", "latitude 95°",
            Photo([TiffEntry.Ascii(1, "N"), TiffEntry.Rationals(2, (95, 1), (0, 1), (0, 1)), TiffEntry.Ascii(3, "E"), TiffEntry.Rationals(4, (12, 1), (0, 1), (0, 1))]).Build());
        Add("missing-latitude-ref.jpg", GpsStatus.Suspect, "LatitudeRef is missing", "coordinates without a N/S reference",
            Photo([TiffEntry.Rationals(2, (51, 1), (21, 1), (58, 1)), TiffEntry.Ascii(3, "E"), TiffEntry.Rationals(4, (12, 1), (18, 1), (32, 1))]).Build());
        Add("negative-rational-with-ref.jpg", GpsStatus.Ok, "", "negative SRATIONAL coordinates with S and W references (must stay negative, once)",
            Photo([TiffEntry.Ascii(1, "S"), TiffEntry.SRationals(2, (-33, 1), (-51, 1), (-36, 1)), TiffEntry.Ascii(3, "W"), TiffEntry.SRationals(4, (-70, 1), (-40, 1), (-12, 1)),
                TiffEntry.Bytes(5, 1), TiffEntry.Rationals(6, (848, 1))]).Build());
        return files;
    }
}
