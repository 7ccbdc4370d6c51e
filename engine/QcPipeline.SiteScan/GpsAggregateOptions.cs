using QcPipeline.Core.Options;

namespace QcPipeline.SiteScan;

/// <summary>Whether not_nadir applies to a folder.</summary>
public enum NadirCheck
{
    /// <summary>In folders flown looking down (most photos' gimbal at or below the threshold): an oblique
    /// inspection flight (an orbit round a tower) is not flagged photo by photo.</summary>
    Auto,
    /// <summary>In every folder.</summary>
    Always,
    /// <summary>Never.</summary>
    Off,
}

/// <summary>gps.aggregate's options: the flight-QC thresholds and the folder verdict's rules.</summary>
public sealed class GpsAggregateOptions
{
    /// <summary>far_from_site: a photo farther from its folder's median position than the folder's median distance plus this many MADs (scaled to σ)…</summary>
    [Option("far_from_site: a photo farther from its folder's median position than the folder's median distance plus this many MADs (scaled to σ)…", Min = 1, Max = 1000)]
    public double FarFromSiteMad { get; init; } = 5;

    /// <summary>…and than the median distance plus this many metres.</summary>
    [Option("…and than the median distance plus this many metres.", Min = 0)]
    public double FarFromSiteMinM { get; init; } = 100;

    /// <summary>not_nadir: gimbal pitch above this (degrees; -90 is straight down).</summary>
    [Option("not_nadir: gimbal pitch above this (degrees; -90 is straight down).", Min = -90, Max = 90)]
    public double NadirMaxPitchDeg { get; init; } = -60;

    /// <summary>Where not_nadir applies: auto (folders flown looking down), always, off.</summary>
    [Option("Where not_nadir applies: auto (folders flown looking down), always, off.")]
    public NadirCheck NadirCheck { get; init; } = NadirCheck.Auto;

    /// <summary>altitude_off: metres off the flight line's altitude (a level line's median; where the flight follows the terrain, a run entered and left by steps this large); five times the line's own noise where that is larger.</summary>
    [Option("altitude_off: metres off the flight line's altitude (a level line's median; where the flight follows the terrain, a run entered and left by steps this large); five times the line's own noise where that is larger.", Min = 0.1)]
    public double AltitudeOffM { get; init; } = 10;

    /// <summary>motion_blur_risk: the most pixels a photo may smear (ground speed × exposure time / ground sample distance).</summary>
    [Option("motion_blur_risk: the most pixels a photo may smear (ground speed × exposure time / ground sample distance).", Min = 0.01)]
    public double MotionBlurPx { get; init; } = 1.5;

    /// <summary>motion_blur_risk without a ground sample distance (no height above ground or sensor size): the longest exposure, in seconds, while moving.</summary>
    [Option("motion_blur_risk without a ground sample distance (no height above ground or sensor size): the longest exposure, in seconds, while moving.", Min = 0)]
    public double MaxExposureS { get; init; } = 1.0 / 80;

    /// <summary>A gap: consecutive photos along a line this many times farther apart than the line's usual spacing (or later than its usual interval).</summary>
    [Option("A gap: consecutive photos along a line this many times farther apart than the line's usual spacing (or later than its usual interval).", Min = 1.05, Max = 100)]
    public double GapFactor { get; init; } = 1.5;

    /// <summary>Verdict warn: more than this share (%) of a folder's photos flagged (0: any flagged photo).</summary>
    [Option("Verdict warn: more than this share (%) of a folder's photos flagged (0: any flagged photo).", Min = 0, Max = 100)]
    public double WarnFlaggedPct { get; init; } = 0;

    /// <summary>Verdict fail: more than this share (%) of a folder's photos flagged.</summary>
    [Option("Verdict fail: more than this share (%) of a folder's photos flagged.", Min = 0, Max = 100)]
    public double FailFlaggedPct { get; init; } = 10;

    /// <summary>Verdict fail: a gap missing at least this many photos (any gap is a warning).</summary>
    [Option("Verdict fail: a gap missing at least this many photos (any gap is a warning).", Min = 1)]
    public int FailGapPhotos { get; init; } = 5;

    /// <summary>Verdict warn: estimated forward overlap of a mapping flight below this share.</summary>
    [Option("Verdict warn: estimated forward overlap of a mapping flight below this share.", Min = 0, Max = 1)]
    public double MinForwardOverlap { get; init; } = 0.6;

    /// <summary>Verdict warn: estimated side overlap of a mapping flight below this share.</summary>
    [Option("Verdict warn: estimated side overlap of a mapping flight below this share.", Min = 0, Max = 1)]
    public double MinSideOverlap { get; init; } = 0.5;

    /// <summary>report.html's map: at most this many flagged photos, and about as many clean ones and path points (thinned evenly).</summary>
    [Option("report.html's map: at most this many flagged photos, and about as many clean ones and path points (thinned evenly).", Min = 100)]
    public int ReportMapPoints { get; init; } = 20_000;
}
