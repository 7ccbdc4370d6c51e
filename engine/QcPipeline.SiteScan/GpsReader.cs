using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Jpeg;
using MetadataExtractor.Formats.Xmp;
using MetadataExtractor.IO;
using QcPipeline.Files;
using QcPipeline.Media;
using static QcPipeline.SiteScan.MetadataValues;
using MeDirectory = MetadataExtractor.Directory;

namespace QcPipeline.SiteScan;

/// <summary>
/// Reads an image's position, time, camera and DJI flight data from its JPEG bytes (a header-only JPEG or the
/// whole file) with MetadataExtractor, interpreted the way exiftool does (the project's oracle): exiftool's
/// degrees are d + (m + s/60)/60 taken as a magnitude and signed by the N/S/E/W reference, so a negative
/// rational with a W reference is not negated twice; a component stored as n/0 (0/0 seconds, for one) means
/// no position, where MetadataExtractor would read 0. Never throws on bad bytes: the reading says why.
/// </summary>
public static partial class GpsReader
{
    private const string DjiNs = MetadataValues.DjiNs;
    private const string XmpNs = "http://ns.adobe.com/xap/1.0/";
    private const string XmpExifNs = "http://ns.adobe.com/exif/1.0/";
    private const string PhotoshopNs = "http://ns.adobe.com/photoshop/1.0/";

    private const int TagDateTimeOriginal = 0x9003, TagDateTimeDigitized = 0x9004;
    private const int TagOffsetTimeOriginal = 0x9011, TagSubSecTimeOriginal = 0x9291, TagGpsPointer = 0x8825;

    private static readonly ExifReader Exif = new();
    private static readonly XmpReader Xmp = new();

    // What MetadataExtractor and XmpCore throw on bytes they cannot parse, besides their own exceptions: fuzzing found
    // XmpCore's InvalidCastException (a text node where its RDF parser expects an element).
    private static bool IsParseFailure(Exception e) =>
        e is ImageProcessingException or IOException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or InvalidCastException;

    /// <summary>Runs one of MetadataExtractor's readers over its segments; the reason when it cannot parse them.</summary>
    private static string? Parse(IJpegSegmentMetadataReader reader, List<JpegSegment> segments, List<MeDirectory> dirs, string what)
    {
        var mine = segments.Where(s => reader.SegmentTypes.Contains(s.Type)).ToList();
        if (mine.Count == 0) return null;
        try { dirs.AddRange(reader.ReadJpegSegments(mine)); }
        catch (Exception e) when (IsParseFailure(e)) { return $"{what} unreadable: " + OneLine(e.Message); }
        return null;
    }

    /// <summary>Reads what a fetch or read stage produced: its bytes, or the local file it names.</summary>
    public static GpsReading Read(FileContent content, int maxHeaderBytes = 2 * 1024 * 1024)
    {
        if (!content.Bytes.IsEmpty || content.LocalPath is null) return Read(content.Bytes.Span, content.IsWhole ? null : content.Size);
        return ReadFile(content.LocalPath, maxHeaderBytes);
    }

    /// <summary>Reads a local file: only its header (the segments before the image data) is read.</summary>
    public static GpsReading ReadFile(string path, int maxHeaderBytes = 2 * 1024 * 1024)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.RandomAccess);
        var header = JpegMetadataExtent.ReadHeader((offset, count) =>
        {
            var buffer = new byte[count];
            var n = 0;
            while (n < count)
            {
                var got = RandomAccess.Read(file.SafeFileHandle, buffer.AsSpan(n), offset + n);
                if (got == 0) break;
                n += got;
            }
            return n == count ? buffer : buffer[..n];
        }, file.Length, 64 * 1024, maxHeaderBytes, path, out _, out var whole);
        return Read(header, whole ? null : file.Length);
    }

    /// <summary>Reads JPEG bytes: a whole file, or its header only (then <paramref name="fileSize"/> is the file's size).</summary>
    public static GpsReading Read(ReadOnlySpan<byte> jpeg, long? fileSize = null)
    {
        if (JpegCheck.Problem(jpeg, fileSize) is { } problem) return Failed(GpsStatus.Error, problem);
        List<JpegSegment> segments;
        try
        {
            using var stream = new MemoryStream(jpeg.ToArray(), writable: false);
            segments = [.. JpegSegmentReader.ReadSegments(new SequentialStreamReader(stream), [JpegSegmentType.App1])];
        }
        catch (Exception e) when (IsParseFailure(e))
        {
            return Failed(GpsStatus.Error, "unreadable JPEG metadata: " + OneLine(e.Message));
        }
        // EXIF and XMP are parsed apart: XMP that its parser cannot read costs the photo its XMP fields, not the
        // position its EXIF holds (and the other way round).
        var dirs = new List<MeDirectory>();
        var exifProblem = Parse(Exif, segments, dirs, "EXIF");
        var xmpProblem = Parse(Xmp, segments, dirs, "XMP");
        // exiftool gives up on EXIF whose first directory lies outside the segment, where MetadataExtractor
        // guesses one at offset 8: follow exiftool, and read nothing from such EXIF.
        exifProblem ??= FirstIfdProblem(jpeg);
        if (exifProblem is not null) dirs = dirs.Where(d => d is not (ExifDirectoryBase or GpsDirectory)).ToList();
        exifProblem ??= xmpProblem;
        var thumb = dirs.OfType<ExifThumbnailDirectory>().FirstOrDefault();
        (int, int)? thumbnail = thumb is not null && thumb.TryGetInt32(ExifThumbnailDirectory.TagThumbnailOffset, out var offset)
            && thumb.TryGetInt32(ExifThumbnailDirectory.TagThumbnailLength, out var length) ? (offset, length) : null;
        return Interpret(dirs, exifProblem) with { HeaderHash = HeaderHash.Of(jpeg, thumbnail) };
    }

    private static string? FirstIfdProblem(ReadOnlySpan<byte> jpeg)
    {
        foreach (var segment in JpegSegments.Of(jpeg))
        {
            if (segment.Marker != 0xE1 || !segment.Payload.StartsWith("Exif\0\0"u8)) continue;
            var tiff = segment.Payload[6..];
            if (tiff.Length < 8) return "EXIF unreadable: its TIFF header is cut short";
            var littleEndian = tiff[0] == (byte)'I';
            var first = littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(tiff[4..]) : BinaryPrimitives.ReadUInt32BigEndian(tiff[4..]);
            return first + 2L > tiff.Length
                ? $"EXIF unreadable: its first directory offset ({first}) points outside the {tiff.Length}-byte EXIF data"
                : null;
        }
        return null;
    }

    private static GpsReading Failed(GpsStatus status, string reason) => new() { Status = status, Reason = reason };

    private static GpsReading Interpret(IReadOnlyList<MeDirectory> dirs, string? exifProblem)
    {
        var ifd0 = dirs.OfType<ExifIfd0Directory>().FirstOrDefault();
        var subIfds = dirs.OfType<ExifSubIfdDirectory>().ToList();
        var gps = dirs.OfType<GpsDirectory>().FirstOrDefault();
        var xmp = dirs.OfType<XmpDirectory>().Select(d => d.XmpMeta).FirstOrDefault(m => m is not null);

        var (taken, offset) = CaptureTime(subIfds, xmp);
        var reading = CameraFields.Read(ifd0, subIfds, xmp) with { TakenAt = taken, UtcOffset = offset };
        return Position(reading, gps, dirs, xmp, exifProblem);
    }

    // The position as exiftool's Composite GPSLatitude/GPSLongitude/GPSAltitude give it, then judged.
    private static GpsReading Position(GpsReading r, GpsDirectory? gps, IReadOnlyList<MeDirectory> dirs, XmpCore.IXmpMeta? xmp, string? exifProblem)
    {
        double? altitude = null;
        if (gps is not null && Numbers(gps, GpsDirectory.TagAltitude, out var alt, out _) && alt.Length > 0)
        {
            // exiftool: a non-zero AltitudeRef means below sea level, whatever the sign stored.
            altitude = gps.TryGetInt32(GpsDirectory.TagAltitudeRef, out var altRef) && altRef != 0 ? -Math.Abs(alt[0]) : alt[0];
            if (!ReadingLimits.Altitude(altitude.Value)) altitude = null; // a junk rational, not a height
        }
        r = r with { AltitudeM = altitude };
        var voidFix = gps is not null && Text(gps, GpsDirectory.TagStatus)?.StartsWith('V') == true;

        var hasLat = gps?.ContainsTag(GpsDirectory.TagLatitude) == true;
        var hasLon = gps?.ContainsTag(GpsDirectory.TagLongitude) == true;
        if (!hasLat && !hasLon)
        {
            // No EXIF coordinates: exiftool's GPSLatitude then comes from DJI's XMP, if it has one.
            if (XmpNumber(xmp, DjiNs, "GPSLatitude") is { } xlat && XmpNumber(xmp, DjiNs, "GPSLongitude") is { } xlon)
                return Judge(r with { Latitude = xlat, Longitude = xlon }, voidFix, null);
            return r with { Status = GpsStatus.NoGps, PositionIssue = voidFix ? PositionIssue.VoidFix : PositionIssue.Missing, Reason = exifProblem ?? NoCoordinatesReason(gps, dirs, voidFix) };
        }
        if (!hasLat || !hasLon)
            return r with { Status = GpsStatus.NoGps, PositionIssue = PositionIssue.Missing, Reason = $"GPS has a {(hasLat ? "latitude" : "longitude")} but no {(hasLat ? "longitude" : "latitude")}" };

        if (!Degrees(gps!, GpsDirectory.TagLatitude, "latitude", out var lat, out var latProblem))
            return r with { Status = GpsStatus.NoGps, PositionIssue = voidFix ? PositionIssue.VoidFix : PositionIssue.Missing, Reason = (voidFix ? "GPS void (GPSStatus V); " : "") + latProblem };
        if (!Degrees(gps!, GpsDirectory.TagLongitude, "longitude", out var lon, out var lonProblem))
            return r with { Status = GpsStatus.NoGps, PositionIssue = voidFix ? PositionIssue.VoidFix : PositionIssue.Missing, Reason = (voidFix ? "GPS void (GPSStatus V); " : "") + lonProblem };

        var latRef = Text(gps, GpsDirectory.TagLatitudeRef);
        var lonRef = Text(gps, GpsDirectory.TagLongitudeRef);
        if (latRef?.StartsWith('S') == true || latRef?.StartsWith('s') == true) lat = -lat;
        if (lonRef?.StartsWith('W') == true || lonRef?.StartsWith('w') == true) lon = -lon;
        string? refProblem = null;
        if (string.IsNullOrEmpty(latRef) || string.IsNullOrEmpty(lonRef))
            refProblem = $"GPS{(string.IsNullOrEmpty(latRef) ? "LatitudeRef" : "LongitudeRef")} is missing: the hemisphere is unknown (read as {(string.IsNullOrEmpty(latRef) ? "N" : "E")}, as exiftool does)";
        return Judge(r with { Latitude = lat, Longitude = lon }, voidFix, refProblem);
    }

    // ok, or suspect with the reason: null island, out of range, a void fix, an unknown hemisphere.
    private static GpsReading Judge(GpsReading r, bool voidFix, string? refProblem)
    {
        double lat = r.Latitude!.Value, lon = r.Longitude!.Value;
        if (!ReadingLimits.Coordinate(lat) || !ReadingLimits.Coordinate(lon))
            return r with { Status = GpsStatus.Suspect, PositionIssue = PositionIssue.OutOfRange, Latitude = null, Longitude = null, Reason = "the position is not a usable number" };
        var (issue, why) =
            !double.IsFinite(lat) || !double.IsFinite(lon) ? (PositionIssue.OutOfRange, "the position is not a finite number")
            : Math.Abs(lat) > 90 ? (PositionIssue.OutOfRange, $"latitude {Format(lat)} is outside ±90")
            : Math.Abs(lon) > 180 ? (PositionIssue.OutOfRange, $"longitude {Format(lon)} is outside ±180")
            : Math.Abs(lat) < 1e-9 && Math.Abs(lon) < 1e-9 ? (PositionIssue.NullIsland, "position 0,0 (\"null island\"): the receiver had no fix")
            : voidFix ? (PositionIssue.VoidFix, "GPSStatus V (measurement void): the receiver reported no valid fix")
            : refProblem is not null ? (PositionIssue.UnknownHemisphere, refProblem)
            : (PositionIssue.None, null);
        return why is null ? r with { Status = GpsStatus.Ok } : r with { Status = GpsStatus.Suspect, PositionIssue = issue, Reason = why };
    }

    private static string NoCoordinatesReason(GpsDirectory? gps, IReadOnlyList<MeDirectory> dirs, bool voidFix)
    {
        var errors = dirs.Where(d => d is ErrorDirectory or ExifDirectoryBase or GpsDirectory).SelectMany(d => d.Errors).ToList();
        if (gps is null)
        {
            // MetadataExtractor keeps the GPS pointer (tag 0x8825) in IFD0 when the block it points to yields nothing.
            if (dirs.OfType<ExifIfd0Directory>().Any(d => d.ContainsTag(TagGpsPointer)))
                return errors.Count > 0 ? "the GPS block is unreadable: " + OneLine(errors[0]) : "the GPS block is empty";
            if (errors.Count > 0) return "EXIF unreadable, no GPS found: " + OneLine(errors[0]);
            var hasExif = dirs.Any(d => d is ExifDirectoryBase);
            return hasExif ? "no GPS in the EXIF metadata" : "no EXIF metadata";
        }
        if (voidFix) return "GPS void (GPSStatus V): no coordinates recorded";
        if (gps.TagCount == 0) return errors.Count > 0 ? "the GPS block is unreadable: " + OneLine(errors[0]) : "the GPS block is empty";
        if (gps.TagCount == 1 && gps.ContainsTag(GpsDirectory.TagVersionId)) return "the GPS block holds only its version, no coordinates";
        return "the GPS block has no latitude or longitude" + (errors.Count > 0 ? ": " + OneLine(errors[0]) : "");
    }

    /// <summary>Degrees from a GPS coordinate tag as exiftool computes them: |d + (m + s/60)/60|.</summary>
    private static bool Degrees(GpsDirectory gps, int tag, string what, out double degrees, out string problem)
    {
        degrees = 0;
        if (!Numbers(gps, tag, out var parts, out problem)) { problem = $"GPS {what} {problem}"; return false; }
        if (parts.Length == 0) { problem = $"GPS {what} is empty"; return false; }
        double d = parts[0], m = parts.Length > 1 ? parts[1] : 0, s = parts.Length > 2 ? parts[2] : 0;
        degrees = Math.Abs(d + (m + s / 60) / 60);
        return true;
    }

    private static readonly string[] PartNames = ["degrees", "minutes", "seconds"];

    /// <summary>Up to three numbers of a tag, whatever type it was stored as; false (with why) when one is n/0.</summary>
    private static bool Numbers(MeDirectory dir, int tag, out double[] values, out string problem)
    {
        problem = "";
        values = [];
        switch (dir.GetObject(tag))
        {
            case Rational[] rs:
                values = new double[Math.Min(3, rs.Length)];
                for (var i = 0; i < values.Length; i++)
                {
                    if (rs[i].Denominator == 0)
                    {
                        problem = $"{PartNames[i]} are stored as {rs[i].Numerator}/0 ({(rs[i].Numerator == 0 ? "undefined" : "infinite")})";
                        return false;
                    }
                    values[i] = (double)rs[i].Numerator / rs[i].Denominator;
                }
                return true;
            case Rational r:
                if (r.Denominator == 0) { problem = $"is stored as {r.Numerator}/0 ({(r.Numerator == 0 ? "undefined" : "infinite")})"; return false; }
                values = [(double)r.Numerator / r.Denominator];
                return true;
            case null:
                problem = "is missing";
                return false;
            case StringValue or string:
                // Some writers store numbers as text; exiftool takes the first three numbers in it.
                var text = dir.GetString(tag) ?? "";
                if (UndefinedWord().IsMatch(text)) { problem = $"is \"{OneLine(text)}\""; return false; }
                values = NumberInText().Matches(text).Take(3)
                    .Select(m => double.Parse(m.Value, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
                return true;
            case Array array:
                values = array.Cast<object>().Take(3).Select(o => Convert.ToDouble(o, CultureInfo.InvariantCulture)).ToArray();
                return true;
            case var other:
                values = [Convert.ToDouble(other, CultureInfo.InvariantCulture)];
                return true;
        }
    }

    private static (DateTime? Taken, TimeSpan? Offset) CaptureTime(List<ExifSubIfdDirectory> subIfds, XmpCore.IXmpMeta? xmp)
    {
        DateTime? taken = null;
        TimeSpan? offset = null;
        foreach (var sub in subIfds)
        {
            taken = ParseExifTime(Text(sub, TagDateTimeOriginal));
            if (taken is null) continue;
            if (Text(sub, TagSubSecTimeOriginal) is { } subSec && taken.Value.Ticks % TimeSpan.TicksPerSecond == 0
                && SubSecond().Match(subSec) is { Success: true } ss)
                taken = taken.Value.AddTicks((long)(double.Parse("0." + ss.Value, CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond));
            offset = ParseOffset(Text(sub, TagOffsetTimeOriginal));
            break;
        }
        taken ??= subIfds.Select(s => ParseExifTime(Text(s, TagDateTimeDigitized))).FirstOrDefault(t => t is not null);
        // Cameras that record no OffsetTimeOriginal (DJI among them) often give the same time with its offset in XMP.
        var xmpTimes = new[] { (XmpExifNs, "DateTimeOriginal"), (XmpNs, "CreateDate"), (PhotoshopNs, "DateCreated") }
            .Select(p => ParseXmpTime(XmpText(xmp, p.Item1, p.Item2))).Where(t => t is not null).Select(t => t!.Value).ToList();
        if (taken is null && xmpTimes.Count > 0) return (xmpTimes[0].Clock, xmpTimes[0].Offset);
        if (taken is { } clock && offset is null)
            offset = xmpTimes.FirstOrDefault(t => t.Offset is not null && t.Clock == clock.AddTicks(-(clock.Ticks % TimeSpan.TicksPerSecond))).Offset;
        return (taken, offset);
    }

    private static DateTime? ParseExifTime(string? text)
    {
        if (text is null || ExifTime().Match(text) is not { Success: true } m) return null;
        int Part(int i) => int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture);
        try
        {
            var t = new DateTime(Part(1), Part(2), Part(3), Part(4), Part(5), Part(6), DateTimeKind.Unspecified);
            if (m.Groups[7].Success) t = t.AddTicks((long)(double.Parse("0" + m.Groups[7].Value, CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond));
            return t;
        }
        catch (ArgumentOutOfRangeException) { return null; } // "0000:00:00 00:00:00" and other placeholders
    }

    private static TimeSpan? ParseOffset(string? text)
    {
        if (text is null || OffsetText().Match(text) is not { Success: true } m) return null;
        var span = new TimeSpan(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), 0);
        return span > TimeSpan.FromHours(14) ? null : m.Groups[1].Value == "-" ? -span : span;
    }

    private static (DateTime Clock, TimeSpan? Offset)? ParseXmpTime(string? text)
    {
        if (text is null || XmpTime().Match(text) is not { Success: true } m) return null;
        int Part(int i) => m.Groups[i].Success ? int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
        try
        {
            var clock = new DateTime(Part(1), Part(2), Part(3), Part(4), Part(5), Part(6), DateTimeKind.Unspecified);
            TimeSpan? offset = m.Groups[7].Value switch { "" => null, "Z" => TimeSpan.Zero, var o => ParseOffset(o) };
            return (clock, offset);
        }
        catch (ArgumentOutOfRangeException) { return null; }
    }

    private static string Format(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\b(inf|undef)\b")]
    private static partial Regex UndefinedWord();

    [GeneratedRegex(@"[+-]?(?=\d|\.\d)\d*(?:\.\d*)?(?:[Ee][+-]\d+)?")]
    private static partial Regex NumberInText();

    [GeneratedRegex(@"^(\d{4})[:\-](\d\d)[:\-](\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d+)?")]
    private static partial Regex ExifTime();

    [GeneratedRegex(@"^\d+")]
    private static partial Regex SubSecond();

    [GeneratedRegex(@"^([+-])(\d\d):?(\d\d)$")]
    private static partial Regex OffsetText();

    [GeneratedRegex(@"^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?)?(Z|[+-]\d\d:\d\d)?$")]
    private static partial Regex XmpTime();
}
