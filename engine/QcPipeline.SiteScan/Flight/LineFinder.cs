namespace QcPipeline.SiteScan.Flight;

internal enum LineKind { Straight, Orbit }

/// <summary>One flight line: the photos (indices into the folder's photos in capture order) taken along one
/// straight pass of a grid, or round one orbit (a spiral climb counts as one orbit).</summary>
internal sealed record FlightLine(LineKind Kind, int[] Points, double AxisDeg, Xy Centre, double RadiusM);

/// <summary>
/// Finds a folder's flight lines from the direction of travel and the spacing between consecutive photos, so it
/// works for any drone, with or without recorded headings. Orbits first: a run of photos that keep turning the
/// same way through at least 270° (GPS noise may turn a step or two back) and lie on a circle. Then straight lines among the rest: runs that keep to one
/// axis (within a few metres across it) and move forward along it. A missing photo leaves a line straight (and an
/// orbit turning the same way), so lines hold across gaps; the photos of a turn between two lines belong to no
/// line, which is why turns are never gaps. Steps shorter than a quarter of the usual spacing (hovering) end a line.
/// </summary>
internal static class LineFinder
{
    public const int MinLinePhotos = 4, MinOrbitPhotos = 8;

    // Orbits, in degrees: a step turning more than MaxOrbitStepTurn is no part of one; the way round is decided
    // once the turns add up to OrbitSenseTurn; a run ends OrbitTurnBack short of its furthest; an orbit turns
    // through at least MinOrbitSweep.
    private const double MaxOrbitStepTurn = 120, OrbitSenseTurn = 15, OrbitTurnBack = 60, MinOrbitSweep = 270;

    public static List<FlightLine> Find(IReadOnlyList<Xy> p)
    {
        var n = p.Count;
        if (n < MinLinePhotos) return [];
        var d = new double[n - 1];
        var b = new double[n - 1];
        for (var i = 0; i < n - 1; i++) { d[i] = p[i].DistanceTo(p[i + 1]); b[i] = Plane.Bearing(p[i], p[i + 1]); }
        var typical = Plane.Median(d.Where(x => x > 0.5));
        if (double.IsNaN(typical)) return [];
        var hover = Math.Max(1.0, 0.25 * typical);
        var inOrbit = new bool[n];
        var lines = FindOrbits(p, d, b, hover, inOrbit);
        lines.AddRange(FindStraight(p, d, b, hover, typical, inOrbit));
        lines.Sort((x, y) => x.Points[0].CompareTo(y.Points[0]));
        return lines;
    }

    /// <summary>The usual step between consecutive photos along the folder's lines (metres).</summary>
    public static double TypicalSpacing(IReadOnlyList<Xy> p, IEnumerable<FlightLine> lines) =>
        Plane.Median(lines.Where(l => l.Kind == LineKind.Straight)
            .SelectMany(l => l.Points.Zip(l.Points.Skip(1), (a, c) => p[a].DistanceTo(p[c]))));

    // Orbits: runs that keep turning one way through 270° or more (a few degrees back, GPS noise, are tolerated:
    // the run ends when it has turned 60° back from its furthest), on a circle.
    private static List<FlightLine> FindOrbits(IReadOnlyList<Xy> p, double[] d, double[] b, double hover, bool[] inOrbit)
    {
        var n = p.Count;
        var found = new List<FlightLine>();
        bool Turn(int i, out double turn)
        {
            turn = d[i - 1] >= hover && d[i] >= hover ? Plane.Turn(b[i - 1], b[i]) : double.NaN;
            return Math.Abs(turn) <= MaxOrbitStepTurn;
        }
        var k = 1;
        while (k <= n - 2)
        {
            if (!Turn(k, out _)) { k++; continue; }
            double sum = 0, peak = 0;
            int sign = 0, last = k, j = k;
            for (; j <= n - 2 && Turn(j, out var t); j++)
            {
                sum += t;
                if (sign == 0 && Math.Abs(sum) >= OrbitSenseTurn) sign = Math.Sign(sum);
                if (sign == 0) continue;
                if (sign * sum > peak) { peak = sign * sum; last = j; }
                if (peak - sign * sum > OrbitTurnBack) break;
            }
            var (from, to) = (k - 1, last + 1); // the turns k..last join the points k-1..last+1
            if (peak >= MinOrbitSweep && to - from + 1 >= MinOrbitPhotos && FitCircle(p, from, to) is { } circle)
            {
                for (var i = from; i <= to; i++) inOrbit[i] = true;
                found.Add(new FlightLine(LineKind.Orbit, Enumerable.Range(from, to - from + 1).ToArray(), double.NaN, circle.Centre, circle.Radius));
                k = to + 1;
            }
            else k = Math.Max(k + 1, j);
        }
        return found;
    }

    /// <summary>The least-squares circle through points from..to (Kåsa's fit), if they lie on one (within 20 % of its radius).</summary>
    public static (Xy Centre, double Radius)? FitCircle(IReadOnlyList<Xy> p, int from, int to)
    {
        var m = to - from + 1;
        double mx = 0, my = 0;
        for (var i = from; i <= to; i++) { mx += p[i].X; my += p[i].Y; }
        mx /= m; my /= m;
        // Solve for D, E, F in x² + y² + Dx + Ey + F = 0 (coordinates about their mean, for conditioning).
        double sxx = 0, sxy = 0, syy = 0, sx = 0, sy = 0, sxz = 0, syz = 0, sz = 0;
        for (var i = from; i <= to; i++)
        {
            double x = p[i].X - mx, y = p[i].Y - my, z = x * x + y * y;
            sxx += x * x; sxy += x * y; syy += y * y; sx += x; sy += y; sxz += x * z; syz += y * z; sz += z;
        }
        var solution = Solve3([sxx, sxy, sx, sxy, syy, sy, sx, sy, m], [-sxz, -syz, -sz]);
        if (solution is not { } s) return null;
        double cx = -s[0] / 2, cy = -s[1] / 2, r2 = cx * cx + cy * cy - s[2];
        if (!(r2 > 4)) return null; // radius under 2 m: a hover, not an orbit
        var r = Math.Sqrt(r2);
        double sq = 0;
        for (var i = from; i <= to; i++)
        {
            var e = Math.Sqrt((p[i].X - mx - cx) * (p[i].X - mx - cx) + (p[i].Y - my - cy) * (p[i].Y - my - cy)) - r;
            sq += e * e;
        }
        return Math.Sqrt(sq / m) <= 0.2 * r ? (new Xy(cx + mx, cy + my), r) : null;
    }

    private static double[]? Solve3(double[] a, double[] y)
    {
        double Det(double[] q) => q[0] * (q[4] * q[8] - q[5] * q[7]) - q[1] * (q[3] * q[8] - q[5] * q[6]) + q[2] * (q[3] * q[7] - q[4] * q[6]);
        var det = Det(a);
        if (Math.Abs(det) < 1e-12) return null;
        var result = new double[3];
        for (var c = 0; c < 3; c++)
        {
            var q = (double[])a.Clone();
            for (var r = 0; r < 3; r++) q[r * 3 + c] = y[r];
            result[c] = Det(q) / det;
        }
        return result;
    }

    private static IEnumerable<FlightLine> FindStraight(IReadOnlyList<Xy> p, double[] d, double[] b, double hover, double typical, bool[] inOrbit)
    {
        var n = p.Count;
        var across = Math.Max(3.0, 0.3 * typical);
        var i = 0;
        while (i < n)
        {
            if (inOrbit[i]) { i++; continue; }
            var line = new List<int> { i };
            var axis = double.NaN;
            for (var j = i; j + 1 < n && !inOrbit[j + 1] && d[j] >= hover; j++)
            {
                if (line.Count > 1 && !OnAxis(p[line[0]], p[line[^1]], p[j + 1], axis, b[j], across, 0.25 * typical)) break;
                line.Add(j + 1);
                axis = line.Count >= 3 ? Plane.Bearing(p[line[0]], p[line[^1]]) : b[j];
            }
            if (line.Count >= MinLinePhotos)
            {
                yield return new FlightLine(LineKind.Straight, line.ToArray(), axis, default, double.NaN);
                i = line[^1] + 1;
            }
            else i++;
        }
    }

    // The next point keeps to the line: close to its axis, heading along it, and forward of the last point.
    private static bool OnAxis(Xy start, Xy last, Xy next, double axis, double stepBearing, double across, double minForward)
    {
        var rad = axis * Math.PI / 180;
        double ux = Math.Sin(rad), uy = Math.Cos(rad);
        var lateral = Math.Abs((next.X - start.X) * uy - (next.Y - start.Y) * ux);
        var forward = (next.X - last.X) * ux + (next.Y - last.Y) * uy;
        return lateral <= across && forward >= minForward && Math.Abs(Plane.Turn(axis, stepBearing)) <= 35;
    }
}
