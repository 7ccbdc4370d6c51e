namespace QcPipeline.SiteScan;

/// <summary>One row of points.csv: one listed image, whatever became of it.</summary>
public sealed record PointRow(string Folder, string File, GpsStatus Status, string? Reason, GpsReading Gps)
{
    public double? Latitude => Gps.Latitude;
    public double? Longitude => Gps.Longitude;
}

public sealed record BoundingBox(double MinLat, double MinLon, double MaxLat, double MaxLon);
public sealed record LatLon(double Lat, double Lon);
public sealed record Range(double Min, double Max, double Mean);
public sealed record TimeSpanInfo(string First, string Last, double Seconds);
public sealed record Duplicate(double Lat, double Lon, string TakenAt, IReadOnlyList<string> Files);
public sealed record Outlier(string Folder, string File, double DistanceM, double ThresholdM);

/// <summary>The statistics of a folder or of the whole site.</summary>
public sealed record GroupSummary(
    int Images,
    IReadOnlyDictionary<string, int> ByStatus,
    BoundingBox? Bbox,
    LatLon? Centroid,
    LatLon? Median,
    TimeSpanInfo? Time,
    Range? AltitudeM,
    Range? RelativeAltitudeM,
    double TrackLengthM,
    IReadOnlyList<Duplicate> Duplicates,
    IReadOnlyList<Outlier> Outliers);

/// <summary>
/// The arithmetic of a site scan. Positions count only when their status is ok (suspect ones are kept in
/// points.csv as recorded, never in a statistic). Distances are great-circle (haversine, mean Earth radius).
/// </summary>
public static class SiteSummary
{
    public const double EarthRadiusM = 6_371_008.8;

    /// <summary>Great-circle distance in metres.</summary>
    public static double Distance(double lat1, double lon1, double lat2, double lon2)
    {
        const double rad = Math.PI / 180;
        var dLat = (lat2 - lat1) * rad;
        var dLon = (lon2 - lon1) * rad;
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2)
              + Math.Cos(lat1 * rad) * Math.Cos(lat2 * rad) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * EarthRadiusM * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    /// <summary>Ok points in capture order: by capture time (photos without one last), then by file name.</summary>
    public static List<PointRow> CaptureOrder(IEnumerable<PointRow> rows) => rows
        .Where(r => r.Status == GpsStatus.Ok && r.Gps.HasPosition)
        .OrderBy(r => r.Gps.TakenInstant is null)
        .ThenBy(r => r.Gps.TakenInstant)
        .ThenBy(r => r.File, StringComparer.Ordinal)
        .ToList();

    /// <summary>Length of the path through the points in order.</summary>
    public static double TrackLength(IReadOnlyList<PointRow> ordered)
    {
        double total = 0;
        for (var i = 1; i < ordered.Count; i++)
            total += Distance(ordered[i - 1].Latitude!.Value, ordered[i - 1].Longitude!.Value, ordered[i].Latitude!.Value, ordered[i].Longitude!.Value);
        return total;
    }

    /// <summary>The mean position on the sphere (the mean of unit vectors), right across the antimeridian too.</summary>
    public static LatLon? Centroid(IReadOnlyList<PointRow> points)
    {
        if (points.Count == 0) return null;
        double x = 0, y = 0, z = 0;
        const double rad = Math.PI / 180;
        foreach (var p in points)
        {
            double la = p.Latitude!.Value * rad, lo = p.Longitude!.Value * rad;
            x += Math.Cos(la) * Math.Cos(lo); y += Math.Cos(la) * Math.Sin(lo); z += Math.Sin(la);
        }
        return new LatLon(Math.Atan2(z, Math.Sqrt(x * x + y * y)) / rad, Math.Atan2(y, x) / rad);
    }

    /// <summary>The component-wise median position: robust against a few wild points.</summary>
    public static LatLon? Median(IReadOnlyList<PointRow> points) => points.Count == 0 ? null
        : new LatLon(MedianOf(points.Select(p => p.Latitude!.Value)), MedianOf(points.Select(p => p.Longitude!.Value)));

    private static double MedianOf(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>
    /// Points far from the folder's median position: farther than <paramref name="factor"/> times the median
    /// distance of the folder's points to it, and farther than <paramref name="minMetres"/> (so a tight hover
    /// does not make every small drift an outlier).
    /// </summary>
    public static List<Outlier> Outliers(IReadOnlyList<PointRow> points, double factor, double minMetres)
    {
        if (Median(points) is not { } m) return [];
        var distances = points.Select(p => Distance(m.Lat, m.Lon, p.Latitude!.Value, p.Longitude!.Value)).ToArray();
        var threshold = Math.Max(minMetres, factor * MedianOf(distances));
        return points.Select((p, i) => (p, d: distances[i]))
            .Where(x => x.d > threshold)
            .Select(x => new Outlier(x.p.Folder, x.p.File, Math.Round(x.d, 2), Math.Round(threshold, 2)))
            .ToList();
    }

    /// <summary>Photos with the same position (to 1e-7°, about 1 cm) and the same capture time: copies, or a camera stuck.</summary>
    public static List<Duplicate> Duplicates(IReadOnlyList<PointRow> points) => points
        .Where(p => p.Gps.TakenAt is not null)
        .GroupBy(p => (Lat: Math.Round(p.Latitude!.Value, 7), Lon: Math.Round(p.Longitude!.Value, 7), p.Gps.TakenInstant))
        .Where(g => g.Count() > 1)
        .Select(g => new Duplicate(g.Key.Lat, g.Key.Lon, g.First().Gps.TakenAtText!,
            g.Select(p => p.Folder == "." ? p.File : $"{p.Folder}/{p.File}").Order(StringComparer.Ordinal).ToList()))
        .OrderBy(d => d.Files[0], StringComparer.Ordinal)
        .ToList();

    /// <summary>Everything summary.json says about one group of rows (a folder, or the site with its folders' outliers).</summary>
    public static GroupSummary Summarise(IReadOnlyList<PointRow> rows, IReadOnlyList<Outlier> outliers, double trackLength)
    {
        var ok = rows.Where(r => r.Status == GpsStatus.Ok && r.Gps.HasPosition).ToList();
        var byStatus = Enum.GetValues<GpsStatus>().ToDictionary(s => s.Name(), s => rows.Count(r => r.Status == s));
        BoundingBox? bbox = ok.Count == 0 ? null : new BoundingBox(ok.Min(p => p.Latitude!.Value), ok.Min(p => p.Longitude!.Value),
            ok.Max(p => p.Latitude!.Value), ok.Max(p => p.Longitude!.Value));
        var timed = rows.Where(r => r.Gps.TakenInstant is not null)
            .OrderBy(r => r.Gps.TakenInstant).ToList();
        TimeSpanInfo? time = timed.Count == 0 ? null : new TimeSpanInfo(timed[0].Gps.TakenAtText!, timed[^1].Gps.TakenAtText!,
            (timed[^1].Gps.TakenInstant!.Value - timed[0].Gps.TakenInstant!.Value).TotalSeconds);
        return new GroupSummary(rows.Count, byStatus, bbox, Centroid(ok), Median(ok), time,
            RangeOf(ok.Select(p => p.Gps.AltitudeM)), RangeOf(ok.Select(p => p.Gps.RelativeAltitudeM)),
            Math.Round(trackLength, 2), Duplicates(ok), outliers);
    }

    private static Range? RangeOf(IEnumerable<double?> values)
    {
        var v = values.Where(x => x is not null).Select(x => x!.Value).ToList();
        return v.Count == 0 ? null : new Range(v.Min(), v.Max(), Math.Round(v.Average(), 3));
    }
}
