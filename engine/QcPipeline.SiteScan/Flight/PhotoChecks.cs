namespace QcPipeline.SiteScan.Flight;

/// <summary>The cameras of a site: make and model, and whether each records gimbal data (a known drone camera,
/// or one whose photos in this site have it).</summary>
internal sealed class CameraTable
{
    private readonly Dictionary<(string?, string?), short> _ids = [];
    private readonly List<(string? Make, string? Model)> _names = [];
    private readonly List<bool> _gimbal = [];

    public IReadOnlyList<(string? Make, string? Model)> Names => _names;

    /// <summary>The camera's number (-1 when the photo records neither make nor model).</summary>
    public short Id(string? make, string? model)
    {
        if (make is null && model is null) return -1;
        if (_ids.TryGetValue((make, model), out var id)) return id;
        if (_names.Count >= short.MaxValue) return -1; // a hostile site of 32,767 cameras: stop telling them apart
        id = (short)_names.Count;
        _ids[(make, model)] = id;
        _names.Add((make, model));
        _gimbal.Add(CameraModels.RecordsGimbal(make, model));
        return id;
    }

    /// <summary>A photo of this camera has gimbal data, so every photo of it should.</summary>
    public void SawGimbal(short id) { if (id >= 0) _gimbal[id] = true; }

    public bool RecordsGimbal(short id) => id >= 0 && _gimbal[id];

    public string Describe(short id) => id < 0 ? "unknown camera" : string.Join(' ', new[] { _names[id].Make, _names[id].Model }.Where(s => s is not null));
}

/// <summary>
/// The checks that need one photo and its folder's habits: position, gimbal, RTK fix, camera, and the folder's
/// outliers by distance. Each sets flags on the photos it finds.
/// </summary>
internal static class PhotoChecks
{
    public static void Position(Span<PhotoFacts> photos)
    {
        foreach (ref var f in photos)
        {
            if (f.Status == GpsStatus.Error) continue; // unreadable: its status and reason say so
            if (f.Status == GpsStatus.NoGps || f.Issue == PositionIssue.VoidFix) f.Flags |= PhotoFlags.NoPosition;
            else if (f.Status == GpsStatus.Suspect) f.Flags |= PhotoFlags.InvalidPosition;
        }
    }

    /// <summary>far_from_site: the distance to the folder's median position above median + max(min, k × MAD).
    /// Returns the limit in metres (NaN with fewer than three positions).</summary>
    public static double FarFromSite(Span<PhotoFacts> photos, double lat0, double lon0, double mads, double minM)
    {
        var distances = new List<double>();
        foreach (ref var f in photos)
        {
            if (!f.HasPosition) continue;
            f.DistanceFromMedianM = (float)SiteSummary.Distance(lat0, lon0, f.Lat, f.Lon);
            distances.Add(f.DistanceFromMedianM);
        }
        if (distances.Count < 3) return double.NaN;
        var median = Plane.Median(distances);
        var limit = median + Math.Max(minM, mads * Plane.Mad(distances, median));
        foreach (ref var f in photos) if (f.HasPosition && f.DistanceFromMedianM > limit) f.Flags |= PhotoFlags.FarFromSite;
        return limit;
    }

    /// <summary>not_nadir and no_gimbal. Returns whether the folder was flown looking down.</summary>
    public static bool Gimbal(Span<PhotoFacts> photos, CameraTable cameras, double maxPitch, NadirCheck mode)
    {
        int withPitch = 0, down = 0;
        foreach (ref var f in photos)
        {
            if (float.IsNaN(f.Pitch)) continue;
            withPitch++;
            if (f.Pitch <= maxPitch) down++;
        }
        var nadirFolder = withPitch > 0 && down * 2 >= withPitch;
        var check = mode == NadirCheck.Always || (mode == NadirCheck.Auto && nadirFolder);
        foreach (ref var f in photos)
        {
            if (f.Status == GpsStatus.Error) continue;
            if (float.IsNaN(f.Pitch)) { if (cameras.RecordsGimbal(f.Camera)) f.Flags |= PhotoFlags.NoGimbal; }
            else if (check && f.Pitch > maxPitch) f.Flags |= PhotoFlags.NotNadir;
        }
        return nadirFolder;
    }

    public static void Rtk(Span<PhotoFacts> photos)
    {
        foreach (ref var f in photos) if (f.Rtk >= 0 && f.Rtk != 50) f.Flags |= PhotoFlags.RtkNotFixed;
    }

    /// <summary>mixed_camera: photos from another camera than the folder's most common one. Returns that camera (-1: none).</summary>
    public static short MixedCamera(Span<PhotoFacts> photos)
    {
        var counts = new Dictionary<short, int>();
        var order = new List<short>();
        foreach (ref var f in photos)
        {
            if (f.Camera < 0 || f.Status == GpsStatus.Error) continue;
            if (!counts.TryAdd(f.Camera, 1)) counts[f.Camera]++;
            else order.Add(f.Camera);
        }
        if (order.Count == 0) return -1;
        var main = order.MaxBy(c => counts[c]); // the first seen wins a tie
        if (order.Count > 1)
            foreach (ref var f in photos) if (f.Camera >= 0 && f.Camera != main && f.Status != GpsStatus.Error) f.Flags |= PhotoFlags.MixedCamera;
        return main;
    }

    /// <summary>
    /// motion_blur_risk: speed × exposure / GSD above <paramref name="maxPx"/>. The speed is what the drone
    /// recorded, else the slower of the two steps to its neighbours in capture order; the GSD needs the height
    /// above ground (relative altitude) and the camera's sensor. Without a GSD, an exposure above
    /// <paramref name="maxExposure"/> while moving faster than 1 m/s is the risk.
    /// </summary>
    public static void MotionBlur(Span<PhotoFacts> photos, IReadOnlyList<int> ordered, IReadOnlyList<Xy> p, IReadOnlyList<double> seconds,
        double maxPx, double maxExposure)
    {
        for (var k = 0; k < ordered.Count; k++)
        {
            ref var f = ref photos[ordered[k]];
            var speed = f.Speed;
            if (float.IsNaN(speed))
            {
                double before = k > 0 ? Step(p, seconds, k - 1, k) : double.NaN, after = k + 1 < ordered.Count ? Step(p, seconds, k, k + 1) : double.NaN;
                speed = (float)(double.IsNaN(before) ? after : double.IsNaN(after) ? before : Math.Min(before, after));
            }
            f.GroundSpeed = speed;
            if (float.IsNaN(f.Exposure) || float.IsNaN(speed)) continue;
            var gsd = f.GsdPerM * f.RelativeAltitude;
            if (gsd > 0)
            {
                f.BlurPx = (float)(speed * f.Exposure / gsd);
                if (f.BlurPx > maxPx) f.Flags |= PhotoFlags.MotionBlurRisk;
            }
            else if (f.Exposure > maxExposure && speed > 1) f.Flags |= PhotoFlags.MotionBlurRisk;
        }
    }

    private static double Step(IReadOnlyList<Xy> p, IReadOnlyList<double> seconds, int a, int b)
    {
        var dt = seconds[b] - seconds[a];
        return dt > 0 ? p[a].DistanceTo(p[b]) / dt : double.NaN;
    }
}
