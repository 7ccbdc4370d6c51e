namespace QcPipeline.SiteScan.Flight;

/// <summary>Which altitude a check used.</summary>
internal enum AltitudeSource { None, Relative, Absolute, Gps }

/// <summary>A stretch of flight's altitudes checked: each photo's offset from the reference, the noise and the limit.</summary>
internal sealed record AltitudeResult(double[] Residuals, double NoiseM, double ThresholdM);

/// <summary>
/// How far each photo's altitude is off its flight line's. A line flown at one height (its altitudes' spread is
/// small) has its median as the reference, so a step lasting up to half the line stands out (<see cref="Flat"/>).
/// A flight that follows the terrain or climbs has no one height: there a run of photos off the flight's altitude
/// shows as two abrupt steps, up and back down (or down and back up), at its ends (<see cref="Runs"/>). A step is a
/// change between consecutive photos outside the climb rates on either side of it by more than the limit; ridges and
/// slopes change the rate of climb, not the altitude, so they make no such pair. Where a run starts or ends on a
/// crest or in a valley, the slope's turn blurs or hides that edge: the run is then the one that, moved back by its
/// clear edge, leaves the flight around it without steps. The limit is the job's threshold, or five times the
/// stretch's own noise where that is larger (noisy GPS altitudes).
/// </summary>
internal static class AltitudeCheck
{
    private const int MinPhotos = 5, LongestRun = 25, ShortRun = 6, EndRun = 5;
    private const double NoiseFactor = 5;

    /// <summary>Relative altitude (barometric, smooth) where most photos have it, else DJI's absolute, else GPS.</summary>
    public static (AltitudeSource Source, double[] Values) Series(IReadOnlyList<PhotoFacts> photos)
    {
        int Count(Func<PhotoFacts, double> get) => photos.Count(p => !double.IsNaN(get(p)));
        var need = Math.Max(1, (int)Math.Ceiling(0.8 * photos.Count));
        var (source, get) = Count(p => p.RelativeAltitude) >= need ? (AltitudeSource.Relative, (Func<PhotoFacts, double>)(p => p.RelativeAltitude))
            : Count(p => p.AbsoluteAltitude) >= need ? (AltitudeSource.Absolute, p => p.AbsoluteAltitude)
            : Count(p => p.GpsAltitude) >= need ? (AltitudeSource.Gps, p => p.GpsAltitude)
            : (AltitudeSource.None, _ => double.NaN);
        return (source, photos.Select(get).ToArray());
    }

    /// <summary>A line flown at one height: offsets from its median, or null when the line is not level.</summary>
    public static AltitudeResult? Flat(double[] y, double thresholdM)
    {
        if (y.Count(double.IsFinite) < MinPhotos) return null;
        var median = Plane.Median(y);
        if (Plane.Mad(y, median) > 0.25 * thresholdM) return null;
        var residuals = y.Select(v => v - median).ToArray();
        var noise = Plane.Mad(residuals, 0);
        return new AltitudeResult(residuals, noise, Math.Max(thresholdM, NoiseFactor * noise));
    }

    /// <summary>Runs of photos off the altitude of the flight around them: each gets its offset, every other photo 0.
    /// <paramref name="intervals"/>[k] is how many shots photo k lies after photo k - 1 (more than one across a gap):
    /// altitude changes are compared per shot, so a slope across missing photos is no step.</summary>
    public static AltitudeResult? Runs(double[] y, int[] intervals, double thresholdM)
    {
        var at = Enumerable.Range(0, y.Length).Where(k => double.IsFinite(y[k])).ToArray();
        if (at.Length < MinPhotos) return null;
        var change = new double[at.Length - 1];
        var shots = new int[change.Length];
        for (var j = 0; j < change.Length; j++)
        {
            for (var q = at[j] + 1; q <= at[j + 1]; q++) shots[j] += Math.Max(1, intervals[q]);
            change[j] = y[at[j + 1]] - y[at[j]];
        }
        var step = Steps(change, shots, null);
        // Once more with the steps found left out of the rates: the changes inside a run are then judged by the
        // flight around it, not by the run's own edges. Only a step larger than both its neighbours is left out: the
        // change beside a run's edge looks like a step at first only because its nearest rate is that edge.
        var firstLimit = Math.Max(thresholdM, NoiseFactor * Plane.Mad(step, 0));
        var once = step;
        step = Steps(change, shots, once.Select((v, j) => Math.Abs(v) > firstLimit
            && (j == 0 || Math.Abs(v) >= Math.Abs(once[j - 1])) && (j == once.Length - 1 || Math.Abs(v) >= Math.Abs(once[j + 1]))).ToArray());
        var noise = Plane.Mad(step, 0);
        var limit = Math.Max(thresholdM, NoiseFactor * noise);
        var residuals = y.Select(v => double.IsFinite(v) ? 0.0 : double.NaN).ToArray();
        void Off(int first, int last, double offset) { for (var q = first; q <= last; q++) residuals[at[q]] = offset; }
        // Each large step pairs with the step back nearest to it, before or after: another large one the other way of
        // about the same size, or, failing that, the nearest smaller one the other way (at least half the limit) within
        // six photos: a short run that starts or ends on a crest or in a valley has that edge blurred by the slope's
        // turn. The largest steps pair first, so a run's clear edges find each other before a smaller change beside
        // them can claim one; a run is off by its larger edge (a blurred edge only understates it).
        var used = new bool[step.Length];
        bool Back(int j, int e, bool strong) => !used[e] && Math.Sign(step[e]) == -Math.Sign(step[j])
            && (strong ? Math.Abs(step[e]) > limit && Math.Abs(step[j] + step[e]) <= 0.5 * Math.Max(Math.Abs(step[j]), Math.Abs(step[e]))
                       : Math.Abs(step[e]) > limit / 2);
        int? Nearest(int j, int reach, bool strong)
        {
            for (var d = 1; d <= reach; d++)
                foreach (var e in (int[])[j + d, j - d])
                    if (e >= 0 && e < step.Length && Back(j, e, strong)) return e;
            return null;
        }
        // A large step whose way back does not show at all (the slope's turn swallowed it): the run it bounds is the
        // one that, moved back by the step, leaves the flight around it without steps; none if no run up to six photos
        // long on either side of it does.
        (int First, int Last, double Offset)? Hidden(int j)
        {
            (int, int, double)? best = null;
            var roughest = limit / 2;
            if (Math.Abs(step[j]) <= 1.5 * limit) return null;
            for (var length = 2; length <= ShortRun; length++)
                foreach (var (first, last, offset) in new[] { (j + 1, j + length, step[j]), (j - length + 1, j, -step[j]) })
                {
                    if (first < 1 || last > change.Length - 1 || used[first - 1] || used[last]) continue;
                    var moved = (double[])change.Clone();
                    moved[first - 1] -= offset;
                    moved[last] += offset;
                    var left = Steps(moved, shots, null);
                    var rough = Enumerable.Range(Math.Max(0, first - 2), Math.Min(left.Length, last + 2) - Math.Max(0, first - 2)).Max(k => Math.Abs(left[k]));
                    if (rough < roughest) (best, roughest) = ((first, last, offset), rough);
                }
            return best;
        }
        foreach (var j in Enumerable.Range(0, step.Length).OrderByDescending(j => Math.Abs(step[j])))
        {
            if (used[j] || Math.Abs(step[j]) <= limit) continue;
            var partner = Nearest(j, LongestRun, strong: true) ?? Nearest(j, ShortRun, strong: false);
            if (partner is { } e)
            {
                var (first, last) = e > j ? (j, e) : (e, j);
                Off(first + 1, last, Math.Abs(step[first]) >= Math.Abs(step[last]) ? step[first] : -step[last]);
                used[j] = used[e] = true;
            }
            else if (Hidden(j) is { } run)
            {
                Off(run.First, run.Last, run.Offset);
                used[j] = used[run.First - 1] = used[run.Last] = true;
            }
            // A short run that starts or ends the stretch has one clear step only: that end is off.
            else if (Math.Abs(step[j]) > 1.5 * limit && j + 1 <= EndRun) Off(0, j, -step[j]);
            else if (Math.Abs(step[j]) > 1.5 * limit && at.Length - 1 - j <= EndRun) Off(j + 1, at.Length - 1, step[j]);
        }
        return new AltitudeResult(residuals, noise, limit);
    }

    // Each change against the climb rates before and after it (per shot, the changes marked in skip left out): a
    // change within what either rate gives over one shot or over all of its shots (missing photos, a hover: the drone
    // may have kept climbing or not) is no step, so a crest or a valley (up, then down) or a slope across missing
    // photos makes none. The rates are the nearest change on each side: at a sharp crest those a few photos away are
    // already the other slope's, and would make the crest's own changes steps. At a stretch's ends, with one side
    // only, that side's median of three, so a run's edge beside the end cannot pass for the flight's rate.
    private static double[] Steps(double[] change, int[] shots, bool[]? skip)
    {
        (double Nearest, double Median) Rate(int from, int direction)
        {
            var rates = new List<double>();
            for (var q = from; q >= 0 && q < change.Length && rates.Count < 3; q += direction)
                if (skip is null || !skip[q]) rates.Add(change[q] / shots[q]);
            return (rates.Count > 0 ? rates[0] : double.NaN, Plane.Median(rates));
        }
        var result = new double[change.Length];
        for (var j = 0; j < change.Length; j++)
        {
            var (before, after) = (Rate(j - 1, -1), Rate(j + 1, 1));
            var rates = (double.IsFinite(before.Nearest) && double.IsFinite(after.Nearest) ? [before.Nearest, after.Nearest]
                : new[] { before.Median, after.Median }).Where(double.IsFinite).ToArray();
            if (rates.Length == 0) continue;
            var bounds = rates.SelectMany(r => new[] { r, r * shots[j] }).ToArray();
            double low = bounds.Min(), high = bounds.Max();
            result[j] = change[j] < low ? change[j] - low : change[j] > high ? change[j] - high : 0;
        }
        return result;
    }
}
