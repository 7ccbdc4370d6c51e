namespace QcPipeline.SiteScan;

/// <summary>
/// The ranges a photo's recorded values can take. The reader drops a value outside its range (it is junk, not a
/// measurement: an altitude of 4e9 m is a corrupt rational), and the photo cache rejects an entry that holds one,
/// so the two agree on what a reading may contain.
/// </summary>
public static class ReadingLimits
{
    /// <summary>The largest coordinate an EXIF rational can express (2^32 - 1 degrees, plus minutes and seconds).</summary>
    public const double MaxCoordinate = 5e9;

    /// <summary>Above the stratosphere, or deeper than any mine: not a photo's height.</summary>
    public const double MaxAltitudeM = 100_000;

    /// <summary>A coordinate an EXIF rational can hold (see <see cref="MaxCoordinate"/>).</summary>
    public static bool Coordinate(double v) => double.IsFinite(v) && Math.Abs(v) <= MaxCoordinate;
    /// <summary>An altitude within ±<see cref="MaxAltitudeM"/>.</summary>
    public static bool Altitude(double v) => double.IsFinite(v) && Math.Abs(v) <= MaxAltitudeM;
    /// <summary>An angle within ±720 degrees.</summary>
    public static bool Angle(double v) => double.IsFinite(v) && Math.Abs(v) <= 720;
    /// <summary>A speed within ±340 m/s.</summary>
    public static bool Speed(double v) => double.IsFinite(v) && Math.Abs(v) <= 340; // the speed of sound
    /// <summary>An exposure above 0 and at most an hour, in seconds.</summary>
    public static bool ExposureTime(double v) => double.IsFinite(v) && v > 0 && v <= 3600;
    /// <summary>An ISO above 0 and at most 10,000,000.</summary>
    public static bool Iso(double v) => double.IsFinite(v) && v > 0 && v <= 10_000_000;
    /// <summary>A focal length above 0 and at most 10,000 mm.</summary>
    public static bool FocalLength(double v) => double.IsFinite(v) && v > 0 && v <= 10_000;
    /// <summary>A sensor resolution above 0 and at most 100,000 px/mm.</summary>
    public static bool PxPerMm(double v) => double.IsFinite(v) && v > 0 && v <= 100_000;
    /// <summary>An image side of 1 to 1,000,000 pixels.</summary>
    public static bool ImageSide(int v) => v is > 0 and <= 1_000_000;
    /// <summary>An RTK fix type of 0 to 255.</summary>
    public static bool RtkFlag(int v) => v is >= 0 and <= 255;
    /// <summary>An RTK standard deviation of 0 to 1,000,000 m.</summary>
    public static bool RtkStd(double v) => double.IsFinite(v) && v is >= 0 and <= 1_000_000;

    internal static double? Keep(double? v, Func<double, bool> ok) => v is { } x && ok(x) ? x : null;
}
