namespace QcPipeline.SiteScan.Flight;

/// <summary>What flight QC found wrong with one photo, from its headers alone. Findings, not failures: a
/// flagged photo stays in every output, and its status keeps its meaning.</summary>
[Flags]
public enum PhotoFlags : ushort
{
    /// <summary>Nothing found.</summary>
    None = 0,
    /// <summary>No usable GPS: none recorded, unreadable, or a void fix.</summary>
    NoPosition = 1 << 0,
    /// <summary>A recorded position that cannot be right: outside ±90/±180, 0,0, or without its hemisphere.</summary>
    InvalidPosition = 1 << 1,
    /// <summary>Far from the rest of its folder (median and MAD of the distances to the folder's median position).</summary>
    FarFromSite = 1 << 2,
    /// <summary>The same capture as another photo (same time and position, or the same EXIF/XMP bytes).</summary>
    Duplicate = 1 << 3,
    /// <summary>Gimbal pitch above the nadir threshold in a folder flown looking down.</summary>
    NotNadir = 1 << 4,
    /// <summary>A camera that records gimbal data, without it.</summary>
    NoGimbal = 1 << 5,
    /// <summary>Altitude off its flight line's altitude by more than the threshold.</summary>
    AltitudeOff = 1 << 6,
    /// <summary>Ground speed × exposure time / ground sample distance above the threshold (pixels of smear).</summary>
    MotionBlurRisk = 1 << 7,
    /// <summary>An RTK drone's photo whose fix is not RtkFlag 50 (fixed).</summary>
    RtkNotFixed = 1 << 8,
    /// <summary>A photo from another camera than most of its folder's.</summary>
    MixedCamera = 1 << 9,
}

/// <summary>The flags' names as points.csv, points.geojson and summary.json write them, and what each means.</summary>
public static class PhotoFlagNames
{
    /// <summary>Every flag with its name and meaning, in vocabulary order.</summary>
    public static readonly IReadOnlyList<(PhotoFlags Flag, string Name, string Meaning)> All =
    [
        (PhotoFlags.NoPosition, "no_position", "no usable GPS: none recorded, unreadable, or a void fix (GPSStatus V)"),
        (PhotoFlags.InvalidPosition, "invalid_position", "latitude outside ±90, longitude outside ±180, 0,0, or no N/S/E/W reference"),
        (PhotoFlags.FarFromSite, "far_from_site", "farther from the folder's median position than the median distance + max(far_from_site_min_m, far_from_site_mad × MAD)"),
        (PhotoFlags.Duplicate, "duplicate", "the same capture as another photo of the site: same time and position (to 1 cm), or the same EXIF and XMP bytes; the copy with the longer name is flagged"),
        (PhotoFlags.NotNadir, "not_nadir", "gimbal pitch above nadir_max_pitch_deg, in a folder flown looking down (nadir_check: auto) or in any folder (always)"),
        (PhotoFlags.NoGimbal, "no_gimbal", "no gimbal pitch, from a camera that records it (a known drone camera, or one whose other photos have it)"),
        (PhotoFlags.AltitudeOff, "altitude_off", "relative (else absolute) altitude off its flight line's by more than max(altitude_off_m, 5 × the line's own noise)"),
        (PhotoFlags.MotionBlurRisk, "motion_blur_risk", "ground speed × exposure time / ground sample distance above motion_blur_px; without a GSD, an exposure longer than max_exposure_s while moving"),
        (PhotoFlags.RtkNotFixed, "rtk_not_fixed", "an RTK drone's photo whose RtkFlag is not 50 (fixed)"),
        (PhotoFlags.MixedCamera, "mixed_camera", "taken with another camera (make and model) than most photos of its folder"),
    ];

    /// <summary>The name of <paramref name="single"/>, one flag.</summary>
    public static string Name(PhotoFlags single) => All.First(f => f.Flag == single).Name;

    /// <summary>The flags set, in vocabulary order.</summary>
    public static IEnumerable<string> Names(PhotoFlags flags) => All.Where(f => (flags & f.Flag) != 0).Select(f => f.Name);

    /// <summary>The points.csv form: names separated by ';', empty when clean.</summary>
    public static string Joined(PhotoFlags flags) => string.Join(';', Names(flags));
}
