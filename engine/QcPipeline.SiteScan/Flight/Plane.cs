namespace QcPipeline.SiteScan.Flight;

/// <summary>A point on a folder's local plane: metres east and north of the folder's median position.</summary>
internal readonly record struct Xy(double X, double Y)
{
    public double DistanceTo(Xy o) => Math.Sqrt((X - o.X) * (X - o.X) + (Y - o.Y) * (Y - o.Y));
}

/// <summary>
/// The flat-earth arithmetic of one folder: an equirectangular projection around its median position (well under
/// a centimetre off across a site), bearings and robust statistics.
/// </summary>
internal static class Plane
{
    private const double Rad = Math.PI / 180;

    public static Xy Project(double lat, double lon, double lat0, double lon0) =>
        new((lon - lon0) * Rad * SiteSummary.EarthRadiusM * Math.Cos(lat0 * Rad), (lat - lat0) * Rad * SiteSummary.EarthRadiusM);

    public static (double Lat, double Lon) Unproject(Xy p, double lat0, double lon0) =>
        (lat0 + p.Y / SiteSummary.EarthRadiusM / Rad, lon0 + p.X / (SiteSummary.EarthRadiusM * Math.Cos(lat0 * Rad)) / Rad);

    /// <summary>Degrees clockwise from north, in [0, 360).</summary>
    public static double Bearing(Xy from, Xy to)
    {
        var b = Math.Atan2(to.X - from.X, to.Y - from.Y) / Rad;
        return b < 0 ? b + 360 : b;
    }

    /// <summary>The signed smallest turn from bearing a to bearing b, in (-180, 180].</summary>
    public static double Turn(double a, double b)
    {
        var d = (b - a) % 360;
        return d > 180 ? d - 360 : d <= -180 ? d + 360 : d;
    }

    /// <summary>The angle between two directions, ignoring which way along them (0–90: for line axes).</summary>
    public static double AxisAngle(double a, double b)
    {
        var d = Math.Abs(Turn(a, b));
        return d > 90 ? 180 - d : d;
    }

    public static double Median(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>The median absolute deviation from <paramref name="centre"/>, scaled by 1.4826 to a normal σ.</summary>
    public static double Mad(IEnumerable<double> values, double centre) => 1.4826 * Median(values.Select(v => Math.Abs(v - centre)));
}
