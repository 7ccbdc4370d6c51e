using System.Globalization;
using L = QcPipeline.SiteScan.ReadingLimits;

namespace QcPipeline.SiteScan;

/// <summary>
/// Whether a reading taken from the cache is one the reader could have produced: every value within
/// <see cref="ReadingLimits"/>, and a status that agrees with the position (an ok reading has a position in
/// range, not 0,0). A cache file is only ever written by us, but it lives in the user's home and may have been
/// edited, damaged or written by an older version: nothing in it is trusted unchecked.
/// </summary>
internal static class CacheEntryCheck
{
    /// <summary>Null when the reading is acceptable, else why not.</summary>
    public static string? Problem(GpsReading? r)
    {
        if (r is null) return "no reading";
        if (!Enum.IsDefined(r.Status) || r.Status == GpsStatus.Error) return $"status {r.Status} is not cached";
        if (!Enum.IsDefined(r.PositionIssue)) return "an unknown position problem";
        if ((r.Latitude is null) != (r.Longitude is null)) return "half a position";
        if (r.Latitude is { } lat && !L.Coordinate(lat)) return $"latitude {F(lat)} is not a usable number";
        if (r.Longitude is { } lon && !L.Coordinate(lon)) return $"longitude {F(lon)} is not a usable number";
        if (r.Status == GpsStatus.Ok)
        {
            if (r.Latitude is not { } la || r.Longitude is not { } lo) return "an ok reading without a position";
            if (Math.Abs(la) > 90) return $"latitude {F(la)} is outside ±90 for an ok reading";
            if (Math.Abs(lo) > 180) return $"longitude {F(lo)} is outside ±180 for an ok reading";
            if (Math.Abs(la) < 1e-9 && Math.Abs(lo) < 1e-9) return "position 0,0 for an ok reading";
            if (r.PositionIssue != PositionIssue.None) return "an ok reading with a position problem";
        }
        else if (r.Reason is null) return $"a {r.Status.Name()} reading without a reason";
        if (r.UtcOffset is { } o && o.Duration() > TimeSpan.FromHours(14)) return $"UTC offset {o} is out of range";
        foreach (var (name, value, ok) in new (string, double?, Func<double, bool>)[]
                 {
                     ("altitude", r.AltitudeM, L.Altitude), ("relative altitude", r.RelativeAltitudeM, L.Altitude),
                     ("absolute altitude", r.AbsoluteAltitudeM, L.Altitude), ("gimbal pitch", r.GimbalPitchDeg, L.Angle),
                     ("gimbal yaw", r.GimbalYawDeg, L.Angle), ("flight yaw", r.FlightYawDeg, L.Angle),
                     ("speed", r.FlightXSpeed, L.Speed), ("speed", r.FlightYSpeed, L.Speed), ("speed", r.FlightZSpeed, L.Speed),
                     ("exposure time", r.ExposureTimeS, L.ExposureTime), ("ISO", r.Iso, L.Iso),
                     ("focal length", r.FocalLengthMm, L.FocalLength), ("35 mm focal length", r.FocalLength35mm, L.FocalLength),
                     ("focal plane resolution", r.FocalPlanePxPerMm, L.PxPerMm),
                     ("RTK deviation", r.RtkStdLonM, L.RtkStd), ("RTK deviation", r.RtkStdLatM, L.RtkStd), ("RTK deviation", r.RtkStdHgtM, L.RtkStd),
                     ("image width", r.ImageWidth, v => L.ImageSide((int)v)), ("image height", r.ImageHeight, v => L.ImageSide((int)v)),
                     ("RTK flag", r.RtkFlag, v => L.RtkFlag((int)v)),
                 })
            if (value is { } v && !ok(v)) return $"{name} {F(v)} is out of range";
        return null;
    }

    private static string F(double v) => v.ToString(Math.Abs(v) < 1e9 ? "0.######" : "0.###E+0", CultureInfo.InvariantCulture);
}
