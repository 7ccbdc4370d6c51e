namespace QcPipeline.SiteScan.Flight;

/// <summary>A stretch of flight where photos are missing, between two consecutive photos (indices into the folder's
/// photos in capture order); Line is the flight line it lies on, or -1 (a turn, a hover).</summary>
internal sealed record Gap(int Line, int After, int Before, Xy Centre, double LengthM, int MissingPhotos, double Seconds);

/// <summary>Two consecutive photos much later than the usual interval with no hole in the coverage: the drone
/// stopped (a battery swap, a long hover) or the camera paused.</summary>
internal sealed record Pause(int Line, int After, int Before, double Seconds);

/// <summary>
/// Gaps and pauses. Along a line (straight, or round an orbit by the angle about its centre), a step more than
/// <c>factor</c> times the line's usual spacing is a gap missing about length / spacing − 1 photos; a line's usual
/// spacing is the median of its steps (the folder's, for a line of fewer than five). A camera that shoots at a
/// fixed interval (most steps of the folder within a quarter of the median interval, or a second where the clock
/// counts whole seconds) also shows gaps in time, wherever they are (a turn, a hover): a step at least
/// <c>factor</c> intervals long misses dt / interval − 1 photos. Turns are never gaps in themselves: a camera that
/// shoots in turns leaves photos there at the usual interval; one that does not is not judged by time across
/// them; and a photo such a camera took on time (under 1.75 intervals after the last) leaves no gap, however far
/// it is. A stop of a minute or more (a battery swap) is a pause, unless it also left a hole along a line.
/// </summary>
internal static class GapFinder
{
    private const int OwnStatisticsSteps = 5;

    /// <summary>A stop this long (seconds) or longer is a pause: a battery swap, a long hover.</summary>
    public const double PauseSeconds = 60;

    // ... or this many usual intervals, for a camera that shoots slowly.
    private const double PauseIntervals = 30;

    public static (List<Gap> Gaps, List<Pause> Pauses) Find(IReadOnlyList<Xy> p, IReadOnlyList<double> seconds,
        IReadOnlyList<FlightLine> lines, double factor)
    {
        var n = p.Count;
        var lineOf = Enumerable.Repeat(-1, n).ToArray();
        for (var li = 0; li < lines.Count; li++) foreach (var k in lines[li].Points) lineOf[k] = li;
        var (interval, quantum, timed) = Timing(seconds);
        var turnsShot = TurnsPhotographed(lines);
        var breakSeconds = Math.Max(PauseSeconds, PauseIntervals * interval);
        var gaps = new List<Gap>();
        var pauses = new List<Pause>();
        var spacing = Spacings(p, lines);

        for (var k = 0; k + 1 < n; k++)
        {
            var dt = seconds[k + 1] - seconds[k];
            var line = lineOf[k] >= 0 && lineOf[k] == lineOf[k + 1] ? lineOf[k] : -1;
            var byDistance = 0;
            if (line >= 0 && spacing[line] > 0)
            {
                var size = Step(lines[line], p, k);
                if (size > factor * spacing[line]) byDistance = Math.Max(1, (int)Math.Round(size / spacing[line]) - 1);
            }
            // A camera that shoots at an interval and took this photo on time missed none: a long step is the
            // drone's speed (or GPS noise), not a lost photo.
            if (timed && dt < 1.75 * interval - quantum) byDistance = 0;
            var transition = line < 0 && lineOf[k] >= 0 && lineOf[k + 1] >= 0 && lineOf[k] != lineOf[k + 1];
            var byTime = 0;
            if (timed && interval > 0 && dt < breakSeconds && (turnsShot || !transition) && (dt - quantum) / interval >= factor)
                byTime = Math.Max(1, (int)Math.Round(dt / interval) - 1);

            if (byDistance > 0 || byTime > 0)
            {
                var missing = byTime > 0 ? byTime : byDistance;
                gaps.Add(new Gap(line, k, k + 1, Middle(line >= 0 ? lines[line] : null, p[k], p[k + 1]), p[k].DistanceTo(p[k + 1]), missing, dt));
            }
            else if (interval > 0 && dt > factor * interval && (line >= 0 || dt >= breakSeconds)) pauses.Add(new Pause(line, k, k + 1, dt));
        }
        return (gaps, pauses);
    }

    // The folder's usual interval, its clock's resolution, and whether the camera shoots at that interval.
    private static (double Interval, double Quantum, bool Timed) Timing(IReadOnlyList<double> seconds)
    {
        var dt = new List<double>();
        for (var k = 0; k + 1 < seconds.Count; k++) if (double.IsFinite(seconds[k + 1] - seconds[k])) dt.Add(seconds[k + 1] - seconds[k]);
        if (dt.Count < 3) return (double.NaN, 0, false);
        var interval = Plane.Median(dt);
        var quantum = seconds.Where(double.IsFinite).All(s => Math.Abs(s - Math.Round(s)) < 1e-6) ? 1.0 : 0.0;
        // Regular: a whole number of intervals (a missing photo makes two), to within a quarter or the clock's resolution.
        var regular = dt.Count(d => d > 0 && Math.Abs(d - interval * Math.Max(1, Math.Round(d / interval))) <= Math.Max(0.25 * interval, quantum));
        return (interval, quantum, interval > 0 && regular >= 0.8 * dt.Count);
    }

    // Whether the camera takes photos between lines: most transitions from one line to the next hold some.
    private static bool TurnsPhotographed(IReadOnlyList<FlightLine> lines)
    {
        if (lines.Count < 2) return true;
        var withPhotos = 0;
        for (var i = 0; i + 1 < lines.Count; i++) if (lines[i + 1].Points[0] - lines[i].Points[^1] > 1) withPhotos++;
        return withPhotos * 2 >= lines.Count - 1;
    }

    // Each line's usual step: the median of its own steps, or the folder's for short lines (metres; degrees round an orbit).
    private static double[] Spacings(IReadOnlyList<Xy> p, IReadOnlyList<FlightLine> lines)
    {
        var folder = LineFinder.TypicalSpacing(p, lines);
        return lines.Select(l =>
        {
            var steps = Enumerable.Range(0, l.Points.Length - 1).Select(q => Step(l, p, l.Points[q])).ToList();
            return steps.Count >= OwnStatisticsSteps || l.Kind == LineKind.Orbit ? Plane.Median(steps) : folder;
        }).ToArray();
    }

    // The step from photo k to k + 1 along a line: metres, or degrees about an orbit's centre.
    private static double Step(FlightLine line, IReadOnlyList<Xy> p, int k) => line.Kind == LineKind.Orbit
        ? Math.Abs(Plane.Turn(Plane.Bearing(line.Centre, p[k]), Plane.Bearing(line.Centre, p[k + 1])))
        : p[k].DistanceTo(p[k + 1]);

    // The gap's centre: halfway between its photos (round the arc, for an orbit).
    private static Xy Middle(FlightLine? line, Xy a, Xy c)
    {
        if (line is not { Kind: LineKind.Orbit }) return new Xy((a.X + c.X) / 2, (a.Y + c.Y) / 2);
        var from = Plane.Bearing(line.Centre, a);
        var mid = (from + Plane.Turn(from, Plane.Bearing(line.Centre, c)) / 2) * Math.PI / 180;
        return new Xy(line.Centre.X + line.RadiusM * Math.Sin(mid), line.Centre.Y + line.RadiusM * Math.Cos(mid));
    }
}
