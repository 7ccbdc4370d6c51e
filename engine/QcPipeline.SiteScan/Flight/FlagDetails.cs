using System.Globalization;

namespace QcPipeline.SiteScan.Flight;

/// <summary>Why a photo carries each of its flags, in one short phrase each (points.csv's flag_details, the
/// report's table of flagged photos).</summary>
internal static class FlagDetails
{
    public static List<string> Describe(in PhotoFacts f, FolderFlight folder, CameraTable cameras, GpsAggregateOptions o, GpsReading reading)
    {
        var list = new List<string>();
        foreach (var (flag, name, _) in PhotoFlagNames.All)
        {
            if ((f.Flags & flag) == 0) continue;
            list.Add(name + ": " + flag switch
            {
                PhotoFlags.NoPosition or PhotoFlags.InvalidPosition => reading.Reason ?? "no usable position",
                PhotoFlags.FarFromSite => $"{N(f.DistanceFromMedianM, "0")} m from the folder's median position (limit {N(folder.FarLimitM, "0")} m)",
                PhotoFlags.Duplicate => $"the same capture as {f.DuplicateOf}",
                PhotoFlags.NotNadir => $"gimbal pitch {N(f.Pitch, "0.#")}° (above {N(o.NadirMaxPitchDeg, "0.#")}°)",
                PhotoFlags.NoGimbal => $"no gimbal data, though {cameras.Describe(f.Camera)} records it",
                PhotoFlags.AltitudeOff => $"{N(f.AltitudeResidualM, "+0.0;-0.0")} m off its line's altitude (limit {N(f.AltitudeLimitM, "0.#")} m)",
                PhotoFlags.MotionBlurRisk => float.IsNaN(f.BlurPx)
                    ? $"exposure {Exposure(f.Exposure)} while moving at {N(f.GroundSpeed, "0.0")} m/s (limit {Exposure(o.MaxExposureS)})"
                    : $"{N(f.BlurPx, "0.0")} px smear: {N(f.GroundSpeed, "0.0")} m/s × {Exposure(f.Exposure)} at {N(f.GsdPerM * f.RelativeAltitude * 100, "0.0")} cm/px (limit {N(o.MotionBlurPx, "0.#")} px)",
                PhotoFlags.RtkNotFixed => $"RtkFlag {f.Rtk} ({RtkMeaning(f.Rtk)}), not 50 (fixed)",
                PhotoFlags.MixedCamera => $"{cameras.Describe(f.Camera)}; most of the folder: {cameras.Describe(folder.MainCamera)}",
                _ => "",
            });
        }
        return list;
    }

    private static string RtkMeaning(int flag) => flag switch
    {
        0 => "no position",
        16 => "single point",
        34 => "float",
        _ => "not fixed",
    };

    private static string Exposure(double seconds) =>
        seconds is > 0 and < 1 ? "1/" + (1 / seconds).ToString("0", CultureInfo.InvariantCulture) + " s" : N(seconds, "0.##") + " s";

    private static string N(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
}
