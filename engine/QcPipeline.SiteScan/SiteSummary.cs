using QcPipeline.SiteScan.Flight;

namespace QcPipeline.SiteScan;

internal sealed record BoundingBox(double MinLat, double MinLon, double MaxLat, double MaxLon);
/// <summary>A position in signed decimal degrees (WGS 84).</summary>
public sealed record LatLon(double Lat, double Lon);
internal sealed record Range(double Min, double Max, double Mean);
internal sealed record TimeSpanInfo(string First, string Last, double Seconds);
internal sealed record DuplicateEntry(string File, string DuplicateOf);
internal sealed record FarEntry(string File, double DistanceM, double LimitM);

/// <summary>The statistics of a folder or of the whole site.</summary>
internal sealed record GroupSummary(
    int Images,
    IReadOnlyDictionary<string, int> ByStatus,
    BoundingBox? Bbox,
    LatLon? Centroid,
    LatLon? Median,
    TimeSpanInfo? Time,
    Range? AltitudeM,
    Range? RelativeAltitudeM,
    double TrackLengthM,
    IReadOnlyList<DuplicateEntry> Duplicates,
    IReadOnlyList<FarEntry> FarFromSite);

/// <summary>
/// The arithmetic of a site scan's summary. Positions count only when their status is ok (suspect ones are kept
/// in points.csv as recorded, never in a statistic). Distances are great-circle (haversine, mean Earth radius).
/// </summary>
internal static class SiteSummary
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

    /// <summary>The photos a flight was flown through: ok positions, not far from the site nor duplicated, in capture
    /// order (by time, photos without one last, then by file name).</summary>
    public static List<int> FlightOrder(IReadOnlyList<PhotoFacts> photos)
    {
        var order = new List<int>();
        for (var i = 0; i < photos.Count; i++)
            if (photos[i].HasPosition && (photos[i].Flags & (PhotoFlags.FarFromSite | PhotoFlags.Duplicate)) == 0) order.Add(i);
        order.Sort((a, b) =>
        {
            var c = photos[b].HasTime.CompareTo(photos[a].HasTime);
            if (c == 0) c = photos[a].Ticks.CompareTo(photos[b].Ticks);
            return c != 0 ? c : string.CompareOrdinal(photos[a].Name, photos[b].Name);
        });
        return order;
    }

    /// <summary>Length of the path through the photos in the given order.</summary>
    public static double TrackLength(IReadOnlyList<PhotoFacts> photos, IReadOnlyList<int> order)
    {
        double total = 0;
        for (var k = 1; k < order.Count; k++)
            total += Distance(photos[order[k - 1]].Lat, photos[order[k - 1]].Lon, photos[order[k]].Lat, photos[order[k]].Lon);
        return total;
    }

    /// <summary>The mean position on the sphere (the mean of unit vectors), right across the antimeridian too.</summary>
    public static LatLon? Centroid(IEnumerable<(double Lat, double Lon)> points)
    {
        double x = 0, y = 0, z = 0;
        var n = 0;
        const double rad = Math.PI / 180;
        foreach (var (lat, lon) in points)
        {
            double la = lat * rad, lo = lon * rad;
            x += Math.Cos(la) * Math.Cos(lo); y += Math.Cos(la) * Math.Sin(lo); z += Math.Sin(la);
            n++;
        }
        return n == 0 ? null : new LatLon(Math.Atan2(z, Math.Sqrt(x * x + y * y)) / rad, Math.Atan2(y, x) / rad);
    }

    /// <summary>Everything summary.json says about the photos of one or more folders (a folder, or the site).</summary>
    public static GroupSummary Summarise(IReadOnlyList<SiteFolder> folders, Func<long, GpsReading> row, bool qualifyNames)
    {
        var totals = new SummaryTotals(row, qualifyNames);
        foreach (var f in folders) totals.Add(f);
        return totals.Result();
    }
}
