using QcPipeline.Media;
using QcPipeline.SiteScan;
using Range = QcPipeline.Media.JpegMetadataExtent.Range;

namespace QcPipeline.Fuzz.Targets;

/// <summary>
/// A photo's bytes through the GPS reader (MetadataExtractor's EXIF and XMP readers, interpreted the way exiftool
/// does, with DJI's XMP flight fields) three ways, as gps.exif gets them: the whole file; the header-only JPEG that
/// sftp.fetch and files.read assemble for its declaration (EXIF without the thumbnail, XMP); and the whole header a
/// full download is read from. The reader never throws on bad bytes: any exception is a finding, and so is a reading
/// that breaks its own rules (a reason on two lines, an ok reading without a position in range, a value outside
/// ReadingLimits, a capture time whose instant cannot be formed) or a header fetch that reads a photo otherwise than
/// its whole file does.
/// </summary>
public sealed class GpsReaderTarget : FuzzTarget
{
    private static readonly JpegHeaderNeeds GpsExif = JpegHeaderNeeds.Of(JpegSegmentKind.ExifTags, JpegSegmentKind.Xmp);

    /// <inheritdoc/>
    public override string Name => "gps-reader";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Instrumented => ["QcPipeline.SiteScan.dll", "QcPipeline.Media.dll", "MetadataExtractor.dll", "XmpCore.dll"];

    /// <inheritdoc/>
    public override void Run(byte[] input)
    {
        var whole = Check(GpsReader.Read(input), "the whole file");
        var fetched = Header(input, GpsExif) is { } h ? Check(GpsReader.Read(h.Bytes, h.IsWhole ? null : input.Length), "a header fetch") : null;
        var full = Header(input, null) is { } f ? Check(GpsReader.Read(f.Bytes, f.IsWhole ? null : input.Length), "a downloaded file's header") : null;
        // A file whose header breaks further on is an error read whole but may be fine for a fetch that stops after its
        // XMP, and a second EXIF or XMP segment is read whole but not fetched: compare the rest.
        if (whole.Status == GpsStatus.Error || !OneOfEach(input)) return;
        if (fetched is not null && fetched.Status != GpsStatus.Error && fetched != whole)
            throw new FuzzFinding($"a header fetch reads {Show(fetched)}, the whole file {Show(whole)}");
        if (full is not null && full.Status != GpsStatus.Error && full != whole)
            throw new FuzzFinding($"a downloaded file's header reads {Show(full)}, the whole file {Show(whole)}");
    }

    private static HeaderRead? Header(byte[] file, JpegHeaderNeeds? needs)
    {
        try
        {
            return JpegMetadataExtent.ReadHeaderAsync((offset, count, _) =>
                Task.FromResult(file.AsSpan((int)offset, (int)Math.Min(count, file.Length - offset)).ToArray()),
                file.Length, [new Range(0, 16 * 1024)], 2 * 1024 * 1024, needs, "DJI_0001.JPG", default).GetAwaiter().GetResult();
        }
        catch (InvalidDataException) { return null; } // the walker's own refusal (its target checks it)
    }

    private static GpsReading Check(GpsReading r, string how)
    {
        void Fail(string what) => throw new FuzzFinding($"{how}: {what}: {Show(r)}");
        if (r.Reason is { } reason && (reason.Length == 0 || reason.AsSpan().IndexOfAny('\r', '\n') >= 0)) Fail("a reason that is not one line");
        if ((r.Status == GpsStatus.Ok) != (r.Reason is null)) Fail("a reason where there is none to give, or none where one is due");
        if (r.Status == GpsStatus.Ok && (r.Latitude is not (>= -90 and <= 90) || r.Longitude is not (>= -180 and <= 180)))
            Fail("ok without a position in range");
        if (r.Latitude is { } lat && !ReadingLimits.Coordinate(lat) || r.Longitude is { } lon && !ReadingLimits.Coordinate(lon)) Fail("a coordinate outside ReadingLimits");
        foreach (var (name, value, ok) in new (string, double?, Func<double, bool>)[]
        {
            ("altitude", r.AltitudeM, ReadingLimits.Altitude), ("relative altitude", r.RelativeAltitudeM, ReadingLimits.Altitude),
            ("absolute altitude", r.AbsoluteAltitudeM, ReadingLimits.Altitude), ("gimbal pitch", r.GimbalPitchDeg, ReadingLimits.Angle),
            ("gimbal yaw", r.GimbalYawDeg, ReadingLimits.Angle), ("flight yaw", r.FlightYawDeg, ReadingLimits.Angle),
            ("speed x", r.FlightXSpeed, ReadingLimits.Speed), ("speed y", r.FlightYSpeed, ReadingLimits.Speed), ("speed z", r.FlightZSpeed, ReadingLimits.Speed),
            ("exposure", r.ExposureTimeS, ReadingLimits.ExposureTime), ("ISO", r.Iso, ReadingLimits.Iso), ("focal length", r.FocalLengthMm, ReadingLimits.FocalLength),
            ("35 mm focal length", r.FocalLength35mm, ReadingLimits.FocalLength), ("focal plane", r.FocalPlanePxPerMm, ReadingLimits.PxPerMm),
            ("RTK std lon", r.RtkStdLonM, ReadingLimits.RtkStd), ("RTK std lat", r.RtkStdLatM, ReadingLimits.RtkStd), ("RTK std height", r.RtkStdHgtM, ReadingLimits.RtkStd),
        })
            if (value is { } v && !ok(v)) Fail($"a {name} of {v} outside ReadingLimits");
        if (r.ImageWidth is { } w && !ReadingLimits.ImageSide(w) || r.ImageHeight is { } ht && !ReadingLimits.ImageSide(ht)) Fail("an image side outside ReadingLimits");
        if (r.RtkFlag is { } flag && !ReadingLimits.RtkFlag(flag)) Fail("an RTK flag outside ReadingLimits");
        _ = r.TakenAtText;
        _ = r.TakenInstant; // what gps.aggregate orders photos by
        return r;
    }

    // Exactly one APP1 EXIF segment and at most one APP1 XMP before the image data (Run reaches here only for a JPEG
    // whose segments are intact up to it: the reader's own check passed).
    private static bool OneOfEach(ReadOnlySpan<byte> jpeg)
    {
        int exif = 0, xmp = 0;
        foreach (var segment in JpegSegments.Of(jpeg))
        {
            if (JpegSegmentKind.Exif.Matches(segment.Marker, segment.Payload)) exif++;
            if (JpegSegmentKind.Xmp.Matches(segment.Marker, segment.Payload)) xmp++;
        }
        return exif == 1 && xmp <= 1;
    }

    private static string Show(GpsReading r) =>
        $"{r.Status.Name()} ({r.Reason}) at {r.Latitude},{r.Longitude} alt {r.AltitudeM} taken {r.TakenAtText} {r.Make}/{r.Model} hash {r.HeaderHash:X}";
}
