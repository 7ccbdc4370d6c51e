using System.Globalization;
using System.Text.Json.Serialization;
using QcPipeline.Core.Stages;

namespace QcPipeline.SiteScan;

/// <summary>What the GPS of one image amounts to.</summary>
public enum GpsStatus
{
    /// <summary>A usable position.</summary>
    Ok,
    /// <summary>No position: GPS absent, void, empty or unreadable (the reason says which).</summary>
    NoGps,
    /// <summary>A recorded position that cannot be trusted (0,0 "null island", out of range, void fix); kept
    /// in points.csv as recorded, left out of every statistic.</summary>
    Suspect,
    /// <summary>The file could not be read as a JPEG (not a JPEG, corrupt, truncated), or failed upstream.</summary>
    Error,
}

/// <summary>The names of <see cref="GpsStatus"/> values as the outputs write them.</summary>
public static class GpsStatusNames
{
    /// <summary>The name written in points.csv and summary.json.</summary>
    public static string Name(this GpsStatus s) => s switch
    {
        GpsStatus.Ok => "ok",
        GpsStatus.NoGps => "no_gps",
        GpsStatus.Suspect => "suspect",
        _ => "error",
    };
}

/// <summary>Why a recorded position is not usable.</summary>
public enum PositionIssue
{
    /// <summary>Nothing wrong with the position.</summary>
    None,
    /// <summary>No coordinates at all (or unreadable ones).</summary>
    Missing,
    /// <summary>GPSStatus V: the receiver said its fix is void.</summary>
    VoidFix,
    /// <summary>Latitude outside ±90 or longitude outside ±180, or not a finite number.</summary>
    OutOfRange,
    /// <summary>Exactly 0,0: the receiver had no fix.</summary>
    NullIsland,
    /// <summary>No N/S or E/W reference: the hemisphere is unknown.</summary>
    UnknownHemisphere,
}

/// <summary>The metadata of one image that a site scan uses. Coordinates are signed decimal degrees (WGS 84),
/// altitudes metres; null where the image does not record the value (never a made-up 0).</summary>
public sealed record GpsReading
{
    /// <summary>What the reading amounts to: ok, no_gps, suspect or error.</summary>
    public GpsStatus Status { get; init; }

    /// <summary>Why the status is not ok (one line).</summary>
    public string? Reason { get; init; }

    /// <summary>Signed decimal degrees, north positive.</summary>
    public double? Latitude { get; init; }
    /// <summary>Signed decimal degrees, east positive.</summary>
    public double? Longitude { get; init; }

    /// <summary>GPS altitude above (negative: below) sea level.</summary>
    public double? AltitudeM { get; init; }

    /// <summary>DJI: height above the take-off point (XMP drone-dji:RelativeAltitude).</summary>
    public double? RelativeAltitudeM { get; init; }

    /// <summary>Capture time as the camera's clock shows it (DateTimeOriginal).</summary>
    public DateTime? TakenAt { get; init; }

    /// <summary>The clock's offset from UTC, where the image records one.</summary>
    public TimeSpan? UtcOffset { get; init; }

    /// <summary>Why a recorded position cannot be used (suspect and no_gps readings), for the QC flags.</summary>
    public PositionIssue PositionIssue { get; init; }

    // The camera (EXIF IFD0 and sub-IFD).
    /// <summary>Camera maker (EXIF Make).</summary>
    public string? Make { get; init; }
    /// <summary>Camera model (EXIF Model).</summary>
    public string? Model { get; init; }
    /// <summary>Exposure time in seconds.</summary>
    public double? ExposureTimeS { get; init; }
    /// <summary>ISO sensitivity.</summary>
    public double? Iso { get; init; }
    /// <summary>Focal length in millimetres.</summary>
    public double? FocalLengthMm { get; init; }
    /// <summary>Focal length for a 35 mm frame, in millimetres.</summary>
    public double? FocalLength35mm { get; init; }
    /// <summary>Pixels per millimetre on the sensor (FocalPlaneXResolution in its unit), where recorded.</summary>
    public double? FocalPlanePxPerMm { get; init; }
    /// <summary>Image width in pixels as EXIF records it.</summary>
    public int? ImageWidth { get; init; }
    /// <summary>Image height in pixels as EXIF records it.</summary>
    public int? ImageHeight { get; init; }

    // The drone (DJI XMP drone-dji:).
    /// <summary>DJI: height above sea level as the drone computed it (XMP AbsoluteAltitude; often offset from GPSAltitude).</summary>
    public double? AbsoluteAltitudeM { get; init; }
    /// <summary>DJI: gimbal pitch in degrees (-90 looks straight down).</summary>
    public double? GimbalPitchDeg { get; init; }
    /// <summary>DJI: gimbal yaw in degrees.</summary>
    public double? GimbalYawDeg { get; init; }
    /// <summary>DJI: the drone's heading in degrees.</summary>
    public double? FlightYawDeg { get; init; }
    /// <summary>DJI: velocity north, east and down in m/s (FlightXSpeed, FlightYSpeed, FlightZSpeed).</summary>
    public double? FlightXSpeed { get; init; }
    /// <summary>DJI: velocity east in m/s (see <see cref="FlightXSpeed"/>).</summary>
    public double? FlightYSpeed { get; init; }
    /// <summary>DJI: velocity down in m/s (see <see cref="FlightXSpeed"/>).</summary>
    public double? FlightZSpeed { get; init; }
    /// <summary>DJI RTK models: the fix type (50 = fixed, 34 = float, 16 = single point, 0 = none).</summary>
    public int? RtkFlag { get; init; }
    /// <summary>DJI RTK models: standard deviation of the longitude, in metres.</summary>
    public double? RtkStdLonM { get; init; }
    /// <summary>DJI RTK models: standard deviation of the latitude, in metres.</summary>
    public double? RtkStdLatM { get; init; }
    /// <summary>DJI RTK models: standard deviation of the height, in metres.</summary>
    public double? RtkStdHgtM { get; init; }

    /// <summary>A 64-bit hash of the photo's EXIF and XMP segments: the same value means the same capture
    /// (the EXIF holds the time to the second and, for most cameras, a thumbnail).</summary>
    public ulong? HeaderHash { get; init; }

    /// <summary>True when the image has a position (ok or suspect).</summary>
    [JsonIgnore]
    public bool HasPosition => Latitude is not null && Longitude is not null;

    /// <summary>ISO 8601 capture time, with its offset when known: 2022-06-02T14:35:32+02:00.</summary>
    [JsonIgnore]
    public string? TakenAtText => TakenAt is not { } t ? null
        : t.ToString(t.Ticks % TimeSpan.TicksPerSecond != 0 ? "yyyy-MM-dd'T'HH:mm:ss.fff" : "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
          + (UtcOffset is { } o ? FormatOffset(o) : "");

    /// <summary>The capture time as an instant when the offset is known, else the clock time read as UTC
    /// (good for ordering the photos of one camera).</summary>
    [JsonIgnore]
    public DateTimeOffset? TakenInstant => TakenAt is not { } t ? null
        : new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Unspecified), UtcOffset ?? TimeSpan.Zero);

    private static string FormatOffset(TimeSpan o) =>
        (o < TimeSpan.Zero ? "-" : "+") + o.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);
}

/// <summary>An image with its GPS reading: what gps.exif produces and gps.aggregate consumes.</summary>
public sealed record GpsPoint(string Origin, string Path, string Folder, string Name, long Size, DateTimeOffset Modified, GpsReading Gps)
    : IItem
{
    /// <inheritdoc />
    public string Key => Path;

    /// <summary>The point of <paramref name="file"/> with its reading.</summary>
    public static GpsPoint From(FileItem file, GpsReading gps) =>
        new(file.Origin, file.Path, file.Folder, file.Name, file.Size, file.Modified, gps);
}
