using System.Globalization;
using System.Text;

namespace QcPipeline.Demo.Generation;

/// <summary>DJI's flight data as its cameras write it in XMP (namespace drone-dji), plus the XMP dates and camera.</summary>
public sealed record DjiXmp
{
    /// <summary>drone-dji:GPSLatitude, signed degrees.</summary>
    public double? Latitude { get; init; }
    /// <summary>drone-dji:GPSLongitude, signed degrees.</summary>
    public double? Longitude { get; init; }
    /// <summary>Altitude above sea level, metres.</summary>
    public double? AbsoluteAltitude { get; init; }
    /// <summary>Height above the take-off point, metres.</summary>
    public double? RelativeAltitude { get; init; }
    /// <summary>Gimbal pitch, degrees (-90: straight down).</summary>
    public double? GimbalPitchDegree { get; init; }
    /// <summary>Gimbal yaw, degrees from north.</summary>
    public double? GimbalYawDegree { get; init; }
    /// <summary>The drone's heading, degrees from north.</summary>
    public double? FlightYawDegree { get; init; }
    /// <summary>Speed north, metres a second.</summary>
    public double? FlightXSpeed { get; init; }
    /// <summary>Speed east, metres a second.</summary>
    public double? FlightYSpeed { get; init; }
    /// <summary>Speed down, metres a second.</summary>
    public double? FlightZSpeed { get; init; }
    /// <summary>RTK fix (50: fixed, 34: float, 16: single).</summary>
    public int? RtkFlag { get; init; }
    /// <summary>RTK standard deviation east, metres.</summary>
    public double? RtkStdLon { get; init; }
    /// <summary>RTK standard deviation north, metres.</summary>
    public double? RtkStdLat { get; init; }
    /// <summary>RTK standard deviation of the height, metres.</summary>
    public double? RtkStdHgt { get; init; }
    /// <summary>xmp:CreateDate: DJI writes the capture time here with its UTC offset.</summary>
    public DateTime? CreateDate { get; init; }
    /// <summary>The UTC offset written with <see cref="CreateDate"/>.</summary>
    public TimeSpan? CreateDateOffset { get; init; }
    /// <summary>tiff:Make.</summary>
    public string? Make { get; init; }
    /// <summary>tiff:Model.</summary>
    public string? Model { get; init; }

    /// <summary>The XMP packet (what follows the "http://ns.adobe.com/xap/1.0/\0" signature in APP1).</summary>
    public string Packet()
    {
        static string Signed(double v, string digits) => v.ToString("+0." + digits + ";-0." + digits, CultureInfo.InvariantCulture);
        var attrs = new StringBuilder();
        void Add(string name, string? value) { if (value is not null) attrs.Append("\n    ").Append(name).Append("=\"").Append(value).Append('"'); }
        Add("tiff:Make", Make);
        Add("tiff:Model", Model);
        if (CreateDate is { } d)
        {
            var text = d.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
            if (CreateDateOffset is { } o) text += (o < TimeSpan.Zero ? "-" : "+") + o.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);
            Add("xmp:CreateDate", text);
        }
        Add("drone-dji:GpsStatus", "Normal");
        Add("drone-dji:GPSLatitude", Latitude is { } la ? Signed(la, "0000000") : null);
        Add("drone-dji:GPSLongitude", Longitude is { } lo ? Signed(lo, "0000000") : null);
        Add("drone-dji:AbsoluteAltitude", AbsoluteAltitude is { } aa ? Signed(aa, "000") : null);
        Add("drone-dji:RelativeAltitude", RelativeAltitude is { } ra ? Signed(ra, "000") : null);
        Add("drone-dji:GimbalPitchDegree", GimbalPitchDegree is { } gp ? Signed(gp, "00") : null);
        Add("drone-dji:GimbalYawDegree", GimbalYawDegree is { } gy ? Signed(gy, "00") : null);
        Add("drone-dji:FlightYawDegree", FlightYawDegree is { } fy ? Signed(fy, "00") : null);
        Add("drone-dji:FlightXSpeed", FlightXSpeed is { } vx ? Signed(vx, "00") : null);
        Add("drone-dji:FlightYSpeed", FlightYSpeed is { } vy ? Signed(vy, "00") : null);
        Add("drone-dji:FlightZSpeed", FlightZSpeed is { } vz ? Signed(vz, "00") : null);
        Add("drone-dji:RtkFlag", RtkFlag?.ToString(CultureInfo.InvariantCulture));
        Add("drone-dji:RtkStdLon", RtkStdLon is { } sl ? sl.ToString("0.00000", CultureInfo.InvariantCulture) : null);
        Add("drone-dji:RtkStdLat", RtkStdLat is { } sa ? sa.ToString("0.00000", CultureInfo.InvariantCulture) : null);
        Add("drone-dji:RtkStdHgt", RtkStdHgt is { } sh ? sh.ToString("0.00000", CultureInfo.InvariantCulture) : null);
        return "<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
            + "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
            + "  <rdf:Description rdf:about=\"DJI Meta Data\"\n    xmlns:tiff=\"http://ns.adobe.com/tiff/1.0/\"\n"
            + "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n    xmlns:drone-dji=\"http://www.dji.com/drone-dji/1.0/\""
            + attrs + "/>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>";
    }
}

/// <summary>Exposure and optics as a camera writes them in the EXIF sub-IFD.</summary>
public sealed record CameraSettings
{
    /// <summary>Seconds, written as the rational 1/N when that is exact (1/1000), else to a microsecond.</summary>
    public double? ExposureTime { get; init; }
    /// <summary>ISO speed.</summary>
    public int? Iso { get; init; }
    /// <summary>Focal length, millimetres.</summary>
    public double? FocalLength { get; init; }
    /// <summary>Focal length in 35 mm terms, millimetres.</summary>
    public int? FocalLength35mm { get; init; }
    /// <summary>ExifImageWidth/Height: the full image's size (our small test pictures are not that size).</summary>
    public int? PixelWidth { get; init; }
    /// <summary>ExifImageHeight (see <see cref="PixelWidth"/>).</summary>
    public int? PixelHeight { get; init; }
    /// <summary>FocalPlaneXResolution in pixels per millimetre (written with unit mm).</summary>
    public double? FocalPlanePxPerMm { get; init; }

    /// <summary>The EXIF sub-IFD entries for the settings given.</summary>
    public IEnumerable<TiffEntry> Entries()
    {
        if (ExposureTime is { } t)
        {
            var n = 1 / t;
            yield return Math.Abs(n - Math.Round(n)) < 1e-9 ? TiffEntry.Rationals(0x829A, (1, (uint)Math.Round(n))) : TiffEntry.Rationals(0x829A, ((uint)Math.Round(t * 1e6), 1_000_000));
        }
        if (Iso is { } iso) yield return TiffEntry.Short(0x8827, (ushort)iso);
        if (FocalLength is { } f) yield return TiffEntry.Rationals(0x920A, ((uint)Math.Round(f * 1000), 1000));
        if (FocalLength35mm is { } f35) yield return TiffEntry.Short(0xA405, (ushort)f35);
        if (PixelWidth is { } w) yield return TiffEntry.Long(0xA002, (uint)w);
        if (PixelHeight is { } h) yield return TiffEntry.Long(0xA003, (uint)h);
        if (FocalPlanePxPerMm is { } p)
        {
            yield return TiffEntry.Rationals(0xA20E, ((uint)Math.Round(p * 1000), 1000));
            yield return TiffEntry.Short(0xA210, 4);
        }
    }
}

/// <summary>GPS IFD contents: the usual ones, and the odd ones real cameras write.</summary>
public static class GpsEntries
{
    /// <summary>A position as cameras write it: N/S and E/W references, unsigned degrees-minutes-seconds (seconds
    /// to 1e-6"), altitude with its above/below-sea-level reference.</summary>
    public static List<TiffEntry> Position(double latitude, double longitude, double? altitude = null, bool withStatus = true)
    {
        var list = new List<TiffEntry>
        {
            TiffEntry.Bytes(0x0000, 2, 3, 0, 0),
            TiffEntry.Ascii(0x0001, latitude < 0 ? "S" : "N"),
            TiffEntry.Rationals(0x0002, Dms(latitude)),
            TiffEntry.Ascii(0x0003, longitude < 0 ? "W" : "E"),
            TiffEntry.Rationals(0x0004, Dms(longitude)),
        };
        if (altitude is { } alt)
        {
            list.Add(TiffEntry.Bytes(0x0005, alt < 0 ? (byte)1 : (byte)0));
            list.Add(TiffEntry.Rationals(0x0006, ((uint)Math.Round(Math.Abs(alt) * 1000), 1000)));
        }
        if (withStatus) list.Add(TiffEntry.Ascii(0x0009, "A"));
        list.Add(TiffEntry.Ascii(0x0012, "WGS-84"));
        return list;
    }

    /// <summary>Degrees, minutes and seconds (to a millionth of a second) of |degrees|.</summary>
    public static (uint, uint)[] Dms(double degrees)
    {
        var micro = (long)Math.Round(Math.Abs(degrees) * 3600 * 1_000_000);
        var d = micro / 3_600_000_000;
        var m = micro % 3_600_000_000 / 60_000_000;
        var s = micro % 60_000_000;
        return [((uint)d, 1), ((uint)m, 1), ((uint)s, 1_000_000)];
    }
}

/// <summary>
/// Writes a real (small) JPEG with EXIF (camera, capture time, GPS) and optional DJI XMP, its pixels encoded by
/// OpenCV (<see cref="JpegEncoder"/>). With <see cref="PadTo"/>, the image is made as large as a survey photo (its
/// bulk, as in real files, is image data after the metadata, which a header fetch never reads).
/// </summary>
public sealed record JpegBuilder
{
    /// <summary>Picture width, pixels.</summary>
    public int Width { get; init; } = 160;
    /// <summary>Picture height, pixels.</summary>
    public int Height { get; init; } = 120;
    /// <summary>JPEG quality, 1 to 100.</summary>
    public int Quality { get; init; } = 85;

    /// <summary>The picture (default: a sky-over-ground gradient). Ignored when padding.</summary>
    public Func<int, int, (byte R, byte G, byte B)>? Pixel { get; init; }

    /// <summary>EXIF Make, or null for none.</summary>
    public string? Make { get; init; }
    /// <summary>EXIF Model, or null for none.</summary>
    public string? Model { get; init; }
    /// <summary>DateTime, DateTimeOriginal and DateTimeDigitized (with SubSecTimeOriginal when it has a fraction).</summary>
    public DateTime? TakenAt { get; init; }
    /// <summary>OffsetTimeOriginal, or null for none (DJI writes none).</summary>
    public TimeSpan? UtcOffset { get; init; }

    /// <summary>The GPS IFD (see <see cref="GpsEntries"/>); null writes none, an empty list an empty one.</summary>
    public IReadOnlyList<TiffEntry>? Gps { get; init; }

    /// <summary>DJI's XMP packet, or null for none.</summary>
    public DjiXmp? Xmp { get; init; }

    /// <summary>Exposure and optics, or null for none.</summary>
    public CameraSettings? Camera { get; init; }

    /// <summary>False: no EXIF segment at all.</summary>
    public bool WithExif { get; init; } = true;

    /// <summary>Damage done to the EXIF structure (hostile files).</summary>
    public ExifDamage Damage { get; init; }

    /// <summary>Make the file about this many bytes long (0: as small as the picture).</summary>
    public long PadTo { get; init; }

    /// <summary>The file's bytes.</summary>
    public byte[] Build()
    {
        using var output = new MemoryStream();
        WriteTo(output);
        return output.ToArray();
    }

    /// <summary>Writes the file to <paramref name="output"/> (a large padded one without holding it in memory).</summary>
    public void WriteTo(Stream output)
    {
        output.Write([0xFF, 0xD8]);
        if (WithExif) JpegEncoder.Segment(output, 0xE1, s => s.Write(ExifBody()));
        if (Xmp is not null)
            JpegEncoder.Segment(output, 0xE1, s => { s.Write("http://ns.adobe.com/xap/1.0/\0"u8); s.Write(Encoding.UTF8.GetBytes(Xmp.Packet())); });
        if (PadTo > 0) WritePadded(output);
        else
        {
            var frame = JpegEncoder.Encode(JpegEncoder.Rgb.Create(Width, Height, Pixel ?? DefaultPicture), Quality);
            output.Write(frame.Tables);
            output.Write(frame.Scan);
        }
        output.Write([0xFF, 0xD9]);
    }

    /// <summary>Writes the file to <paramref name="path"/> (its folder is created).</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        WriteTo(file);
    }

    private byte[] ExifBody()
    {
        var ifd0 = new List<TiffEntry>();
        if (Make is not null) ifd0.Add(TiffEntry.Ascii(0x010F, Make));
        if (Model is not null) ifd0.Add(TiffEntry.Ascii(0x0110, Model));
        List<TiffEntry>? exif = null;
        if (TakenAt is { } t)
        {
            var text = t.ToString("yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture);
            ifd0.Add(TiffEntry.Ascii(0x0132, text));
            exif = [TiffEntry.Ascii(0x9003, text), TiffEntry.Ascii(0x9004, text)];
            var sub = t.Ticks % TimeSpan.TicksPerSecond;
            if (sub != 0) exif.Add(TiffEntry.Ascii(0x9291, (sub / TimeSpan.TicksPerMillisecond).ToString("000", CultureInfo.InvariantCulture)));
            if (UtcOffset is { } o)
                exif.Add(TiffEntry.Ascii(0x9011, (o < TimeSpan.Zero ? "-" : "+") + o.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture)));
        }
        if (Camera is not null) (exif ??= []).AddRange(Camera.Entries());
        return ExifWriter.Build(ifd0, exif, Gps, Damage);
    }

    private (byte, byte, byte) DefaultPicture(int x, int y)
    {
        var horizon = Height * 2 / 5;
        if (y < horizon) return ((byte)(120 + y * 60 / Math.Max(1, horizon)), (byte)(170 + y * 40 / Math.Max(1, horizon)), 235);
        var v = (x * 7 + y * 13) % 40;
        return ((byte)(70 + v), (byte)(110 + v), (byte)(50 + v / 2));
    }

    // A large image made of one encoded band of MCU rows repeated: its restart intervals decode on their own, so
    // with the restart markers numbered on across the copies, the file is a valid baseline JPEG of the wanted size
    // at the cost of one band.
    private void WritePadded(Stream output)
    {
        var (frame, intervals) = Band.Value;
        var bandBytes = intervals.Sum(i => i.Length + 2); // each interval and its marker
        var headerSoFar = output.Position + frame.Tables.Length;
        var copies = (int)Math.Clamp(Math.Round((PadTo - headerSoFar) / (double)bandBytes), 1, 65535 / BandHeight);
        output.Write(frame.TablesForHeight(BandHeight * copies));
        var written = 0;
        for (var c = 0; c < copies; c++)
            foreach (var interval in intervals)
            {
                if (written > 0) output.Write([0xFF, (byte)(0xD0 + (written - 1) % 8)]); // RST0..RST7, in turn
                output.Write(interval);
                written++;
            }
    }

    // Restart intervals of 128 MCUs end on the band's last MCU whatever the chroma sampling (8×8 or 16×16 MCUs).
    private const int BandWidth = 2048, BandHeight = 64, PadQuality = 92, BandRestartInterval = BandWidth / 16;

    private static readonly Lazy<(JpegEncoder.Frame Frame, List<byte[]> Intervals)> Band = new(() =>
    {
        // Textured ground: detailed enough to compress like a photo.
        var random = new Random(20251002);
        var noise = new byte[BandWidth * BandHeight];
        random.NextBytes(noise);
        var image = JpegEncoder.Rgb.Create(BandWidth, BandHeight, (x, y) =>
        {
            var n = noise[y * BandWidth + x] / 4;
            var field = (x / 256 + y / 32) % 2 == 0 ? 20 : 0;
            return ((byte)(80 + n + field), (byte)(100 + n), (byte)(60 + n / 2 + field));
        });
        var frame = JpegEncoder.Encode(image, PadQuality, BandRestartInterval);
        var intervals = frame.Intervals();
        if (intervals.Count < 2) throw new InvalidOperationException("the padding band must hold restart intervals");
        return (frame, intervals);
    });
}
