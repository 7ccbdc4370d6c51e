namespace QcPipeline.SiteScan;

/// <summary>A camera sensor's size in millimetres (width along the image's long side).</summary>
internal sealed record SensorSize(double WidthMm, double HeightMm);

/// <summary>
/// What a photo's camera is: its sensor size (for ground sample distance and footprints) and whether it is a
/// drone camera that records gimbal data. Drone cameras write no sensor size, so the common ones are known by
/// their EXIF model and the published format of their sensor; others are sized from FocalPlaneXResolution, or
/// else from the 35 mm equivalent focal length.
/// </summary>
internal static class CameraModels
{
    private static readonly SensorSize Inch1 = new(13.2, 8.8), Inch1Over23 = new(6.17, 4.55), Inch1Over2 = new(6.4, 4.8),
        Inch1Over13 = new(9.6, 7.2), FourThirds = new(17.3, 13.0), ApsC = new(23.5, 15.7), FullFrame = new(35.9, 24.0);

    private static readonly Dictionary<string, SensorSize> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["FC6310"] = Inch1, ["FC6310S"] = Inch1, ["FC6310R"] = Inch1,          // Phantom 4 Pro, V2, RTK
        ["L1D-20c"] = Inch1, ["FC3411"] = Inch1,                               // Mavic 2 Pro, Air 2S
        ["FC330"] = Inch1Over23, ["FC300S"] = Inch1Over23, ["FC300X"] = Inch1Over23, ["FC220"] = Inch1Over23,
        ["FC7203"] = Inch1Over23, ["FC7303"] = Inch1Over23, ["FC2204"] = Inch1Over23, // Phantom 3/4, Mavic Pro, Mini, Mini 2, Mavic 2 Zoom
        ["FC3170"] = Inch1Over2, ["M3T"] = Inch1Over2,                         // Mavic Air 2, Mavic 3T wide
        ["FC3582"] = Inch1Over13, ["FC3682"] = Inch1Over13, ["FC8482"] = Inch1Over13, // Mini 3 Pro, Mini 3, Mini 4 Pro
        ["L2D-20c"] = FourThirds, ["M3E"] = FourThirds, ["M3M"] = FourThirds, ["FC6520"] = FourThirds, // Mavic 3, 3E, 3M, Zenmuse X5S
        ["FC6540"] = ApsC, ["ZenmuseP1"] = FullFrame,                          // Zenmuse X7, P1
    };

    /// <summary>True for the drone cameras listed here (which write gimbal angles into every photo).</summary>
    public static bool RecordsGimbal(string? make, string? model) =>
        model is not null && Known.ContainsKey(model) && make is not null
        && (make.StartsWith("DJI", StringComparison.OrdinalIgnoreCase) || make.StartsWith("Hasselblad", StringComparison.OrdinalIgnoreCase));

    /// <summary>The sensor of the camera that took the photo, or null when nothing tells.</summary>
    public static SensorSize? Sensor(GpsReading r)
    {
        if (r.Model is { } model && Known.TryGetValue(model, out var known)) return known;
        if (r is { FocalPlanePxPerMm: { } ppmm, ImageWidth: { } w, ImageHeight: { } h })
            return new SensorSize(Math.Max(w, h) / ppmm, Math.Min(w, h) / ppmm);
        if (r is { FocalLength35mm: { } f35, FocalLengthMm: { } f } && f35 > f)
        {
            // The 35 mm equivalent scales the sensor's diagonal to 43.27 mm (full frame's).
            var diagonal = 43.27 * f / f35;
            double aw = r.ImageWidth ?? 4, ah = r.ImageHeight ?? 3;
            var (longSide, shortSide) = (Math.Max(aw, ah), Math.Min(aw, ah));
            var k = diagonal / Math.Sqrt(longSide * longSide + shortSide * shortSide);
            return new SensorSize(longSide * k, shortSide * k);
        }
        return null;
    }
}
