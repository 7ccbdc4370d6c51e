namespace QcPipeline.SiteScan.Flight;

/// <summary>A mapping flight's estimated overlap: the spacing of photos along a line and of the lines, against the
/// footprint of one photo on the ground (height above ground × sensor size / focal length).</summary>
public sealed record OverlapEstimate(double? Forward, double? Side, double HeightM, double PhotoSpacingM, double? LineSpacingM,
    double FootprintAlongM, double FootprintAcrossM);

/// <summary>
/// Estimates forward and side overlap from the straight lines of a folder. The height is DJI's RelativeAltitude
/// (above the take-off point: over level ground, the height above it); which side of the image lies along the
/// line follows the camera's yaw against the line (a drone camera looks forward: the image's short side along
/// the track). Lines within 15° of the longest line's axis are parallel; their spacing is the median distance
/// between neighbouring lines across that axis (lines flown twice, at the same offset, do not count).
/// </summary>
internal static class Overlap
{
    private const int MinPhotos = 5;

    public static (OverlapEstimate? Estimate, string? Note) Estimate(IReadOnlyList<FlightLine> lines, IReadOnlyList<Xy> p,
        Func<int, PhotoFacts> photo)
    {
        var straight = lines.Where(l => l.Kind == LineKind.Straight && l.Points.Length >= MinPhotos).ToList();
        if (straight.Count == 0) return (null, "no straight flight line of five photos or more (an orbit or irregular flight)");
        var heights = straight.SelectMany(l => l.Points).Select(i => photo(i).RelativeAltitude).ToList();
        var height = Plane.Median(heights);
        if (!(height > 1)) return (null, "no height above ground: the photos record no relative altitude (DJI RelativeAltitude)");
        var footShort = Plane.Median(straight.SelectMany(l => l.Points).Select(i => (double)photo(i).FootShortPerM));
        var footLong = Plane.Median(straight.SelectMany(l => l.Points).Select(i => (double)photo(i).FootLongPerM));
        if (double.IsNaN(footShort) || double.IsNaN(footLong)) return (null, "the camera's sensor size or focal length is unknown");

        var offAxis = Plane.Median(straight.SelectMany(l => l.Points.Select(i => photo(i).Yaw is var y && float.IsNaN(y) ? 0 : Plane.AxisAngle(l.AxisDeg, y))));
        var (alongPerM, acrossPerM) = offAxis < 45 ? (footShort, footLong) : (footLong, footShort);
        var (along, across) = (height * alongPerM, height * acrossPerM);
        var spacing = Plane.Median(straight.SelectMany(l => l.Points.Zip(l.Points.Skip(1), (a, c) => p[a].DistanceTo(p[c]))));
        var lineSpacing = LineSpacing(straight, p);
        double? side = lineSpacing is { } s ? Math.Clamp(1 - s / across, 0, 1) : null;
        return (new OverlapEstimate(Math.Clamp(1 - spacing / along, 0, 1), side, height, spacing, lineSpacing, along, across),
            lineSpacing is null ? "side overlap needs two parallel lines" : null);
    }

    private static double? LineSpacing(List<FlightLine> straight, IReadOnlyList<Xy> p)
    {
        var main = straight.MaxBy(l => p[l.Points[0]].DistanceTo(p[l.Points[^1]]))!;
        var rad = main.AxisDeg * Math.PI / 180;
        double nx = Math.Cos(rad), ny = -Math.Sin(rad); // the normal to the axis
        var offsets = straight.Where(l => Plane.AxisAngle(l.AxisDeg, main.AxisDeg) <= 15)
            .Select(l => l.Points.Average(i => p[i].X * nx + p[i].Y * ny)).Order().ToList();
        if (offsets.Count < 2) return null;
        var diffs = offsets.Zip(offsets.Skip(1), (a, b) => b - a).ToList();
        var typical = Plane.Median(diffs);
        var kept = diffs.Where(d => d >= 0.3 * typical).ToList();
        return kept.Count == 0 ? null : Plane.Median(kept);
    }
}
