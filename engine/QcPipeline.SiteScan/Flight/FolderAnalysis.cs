using System.Runtime.InteropServices;

namespace QcPipeline.SiteScan.Flight;

/// <summary>A flight line as summary.json gives it; lengths in metres, rounded to the centimetre.</summary>
/// <param name="Index">Its number in the folder, in capture order.</param>
/// <param name="Kind">straight or orbit.</param>
/// <param name="Photos">Photos on it.</param>
/// <param name="First">Its first photo's file name.</param>
/// <param name="Last">Its last photo's file name.</param>
/// <param name="HeadingDeg">A straight line's axis in degrees; null for an orbit.</param>
/// <param name="LengthM">The sum of its steps from photo to photo.</param>
/// <param name="SpacingM">The median step between consecutive photos.</param>
/// <param name="IntervalS">The median time between consecutive photos in seconds; null without times.</param>
/// <param name="RadiusM">An orbit's radius; null for a straight line.</param>
/// <param name="AltitudeSource">The altitude its altitude figures use (relative, absolute or gps); null: none recorded.</param>
/// <param name="AltitudeMinM">Its lowest altitude.</param>
/// <param name="AltitudeMaxM">Its highest altitude.</param>
/// <param name="AltitudeSpreadM">Highest less lowest altitude.</param>
/// <param name="AltitudeMadM">The median absolute deviation of its altitudes.</param>
public sealed record LineReport(int Index, string Kind, int Photos, string First, string Last, double? HeadingDeg, double LengthM,
    double SpacingM, double? IntervalS, double? RadiusM, string? AltitudeSource, double? AltitudeMinM, double? AltitudeMaxM,
    double? AltitudeSpreadM, double? AltitudeMadM);

/// <summary>A gap as summary.json gives it. MissingByFileNumber: how many numbers the camera's file counter skips
/// between the two (DJI_…_0345_D.JPG, IMG_1234.JPG): 0 means the camera took no photo there (a missed shot), more
/// that files are missing from the upload; null where the names carry no counter.</summary>
public sealed record GapReport(int Line, string After, string Before, LatLon Centre, double LengthM, int MissingPhotos, double? Seconds,
    int? MissingByFileNumber);

/// <summary>A pause as summary.json gives it (MissingByFileNumber as for a gap).</summary>
public sealed record PauseReport(int Line, string After, string Before, double Seconds, int? MissingByFileNumber);

/// <summary>What flight QC found in one folder (one flight, usually).</summary>
public sealed class FolderFlight
{
    /// <summary>The flight's shape: lawnmower, corridor, orbit, mixed, irregular or too_few_positions.</summary>
    public required string Pattern { get; init; }
    /// <summary>Its flight lines.</summary>
    public required IReadOnlyList<LineReport> Lines { get; init; }
    /// <summary>Holes in its lines where photos are missing.</summary>
    public required IReadOnlyList<GapReport> Gaps { get; init; }
    /// <summary>Long waits between consecutive photos with no hole in the coverage.</summary>
    public required IReadOnlyList<PauseReport> Pauses { get; init; }
    /// <summary>Forward and side overlap, where they can be estimated.</summary>
    public OverlapEstimate? Overlap { get; init; }
    /// <summary>Why there is no overlap estimate, when there is none.</summary>
    public string? OverlapNote { get; init; }
    /// <summary>The distance from the folder's median position beyond which a photo is far_from_site, in metres.</summary>
    public double FarLimitM { get; init; }
    /// <summary>Flown looking down (so not_nadir applies under nadir_check: auto).</summary>
    public bool LooksDown { get; init; }
    /// <summary>The camera most of its photos come from (its number in the site's camera table).</summary>
    public short MainCamera { get; init; }
    /// <summary>Photos per flag name.</summary>
    public required IReadOnlyDictionary<string, int> FlagCounts { get; init; }
    /// <summary>Photos with at least one flag.</summary>
    public int Flagged { get; init; }
    /// <summary>Photos that could not be read (status error).</summary>
    public int Unreadable { get; init; }
    /// <summary>Photos in the folder.</summary>
    public int Photos { get; init; }
    /// <summary>Photos with a usable position.</summary>
    public int Positioned { get; init; }
    /// <summary>The folder's verdict and its reasons.</summary>
    public required FolderVerdict Verdict { get; init; }
}

/// <summary>
/// Flight QC of one folder: the per-photo checks, then the flight itself from the usable photos in capture order
/// (photos far from the site or duplicated left out): its lines, gaps and pauses, each line's altitude, motion
/// blur, overlap, and the folder's verdict. Duplicates are marked beforehand, across the site.
/// </summary>
internal static class FolderAnalysis
{
    public static FolderFlight Run(List<PhotoFacts> list, CameraTable cameras, GpsAggregateOptions o)
    {
        var photos = CollectionsMarshal.AsSpan(list);
        PhotoChecks.Position(photos);
        var positioned = new List<int>();
        for (var i = 0; i < photos.Length; i++) if (photos[i].HasPosition) positioned.Add(i);
        var lat0 = Plane.Median(positioned.Select(i => list[i].Lat));
        var lon0 = Plane.Median(positioned.Select(i => list[i].Lon));
        var farLimit = positioned.Count > 0 ? PhotoChecks.FarFromSite(photos, lat0, lon0, o.FarFromSiteMad, o.FarFromSiteMinM) : double.NaN;
        var looksDown = PhotoChecks.Gimbal(photos, cameras, o.NadirMaxPitchDeg, o.NadirCheck);
        PhotoChecks.Rtk(photos);
        var mainCamera = PhotoChecks.MixedCamera(photos);

        // The flight: usable photos in capture order (by time, then name; untimed ones by name after).
        var snapshot = list; // the span's list, for lambdas (which cannot capture a span)
        var ordered = positioned.Where(i => (snapshot[i].Flags & (PhotoFlags.FarFromSite | PhotoFlags.Duplicate)) == 0).ToList();
        ordered.Sort((a, b) =>
        {
            var (x, y) = (snapshot[a], snapshot[b]);
            var c = y.HasTime.CompareTo(x.HasTime);
            if (c == 0) c = x.Ticks.CompareTo(y.Ticks);
            return c != 0 ? c : string.CompareOrdinal(x.Name, y.Name);
        });
        var p = ordered.Select(i => Plane.Project(snapshot[i].Lat, snapshot[i].Lon, lat0, lon0)).ToList();
        var t0 = ordered.Count > 0 ? snapshot[ordered[0]].Ticks : 0;
        var seconds = ordered.Select(i => snapshot[i].HasTime ? (snapshot[i].Ticks - t0) / 1e7 : double.NaN).ToList();

        var lines = LineFinder.Find(p);
        var (found, pauses) = GapFinder.Find(p, seconds, lines, o.GapFactor);
        var gaps = NotFilledIn(found, list, ordered);
        var (source, altitudes) = AltitudeCheck.Series(ordered.Select(i => snapshot[i]).ToList());
        CheckAltitudes(list, ordered, p, seconds, lines, altitudes, o.AltitudeOffM);
        var lineReports = lines.Select((line, li) => Report(li, line, p, seconds, k => snapshot[ordered[k]].Name, source, altitudes)).ToList();
        PhotoChecks.MotionBlur(photos, ordered, p, seconds, o.MotionBlurPx, o.MaxExposureS);
        var (overlap, overlapNote) = Overlap.Estimate(lines, p, k => snapshot[ordered[k]]);

        var counts = PhotoFlagNames.All.ToDictionary(f => f.Name, _ => 0);
        int flagged = 0, unreadable = 0;
        foreach (ref var f in photos)
        {
            if (f.Status == GpsStatus.Error) unreadable++;
            if (f.Flags == PhotoFlags.None) continue;
            flagged++;
            foreach (var name in PhotoFlagNames.Names(f.Flags)) counts[name]++;
        }
        var pattern = Pattern(lines, ordered.Count);
        var gapReports = gaps.Select(g =>
        {
            var (lat, lon) = Plane.Unproject(g.Centre, lat0, lon0);
            return new GapReport(g.Line, snapshot[ordered[g.After]].Name, snapshot[ordered[g.Before]].Name, new LatLon(lat, lon),
                Math.Round(g.LengthM, 2), g.MissingPhotos, double.IsNaN(g.Seconds) ? null : g.Seconds,
                FileCounter.Skipped(snapshot[ordered[g.After]].Name, snapshot[ordered[g.Before]].Name));
        }).ToList();
        var pauseReports = pauses.Select(q => new PauseReport(q.Line, snapshot[ordered[q.After]].Name, snapshot[ordered[q.Before]].Name, q.Seconds,
            FileCounter.Skipped(snapshot[ordered[q.After]].Name, snapshot[ordered[q.Before]].Name))).ToList();
        var verdict = Verdicts.Judge(photos.Length, positioned.Count, flagged, unreadable, counts, gapReports, overlap, pattern, o);
        return new FolderFlight
        {
            Pattern = pattern, Lines = lineReports, Gaps = gapReports, Pauses = pauseReports, Overlap = overlap, OverlapNote = overlapNote,
            FarLimitM = farLimit, LooksDown = looksDown, MainCamera = mainCamera, FlagCounts = counts, Flagged = flagged,
            Unreadable = unreadable, Photos = photos.Length, Positioned = positioned.Count, Verdict = verdict,
        };
    }

    private static string Pattern(List<FlightLine> lines, int photos)
    {
        if (photos < LineFinder.MinLinePhotos) return "too_few_positions";
        var straight = lines.Where(l => l.Kind == LineKind.Straight).ToList();
        int inStraight = straight.Sum(l => l.Points.Length), inOrbits = lines.Where(l => l.Kind == LineKind.Orbit).Sum(l => l.Points.Length);
        if (inStraight * 2 >= photos) return inOrbits * 4 >= photos ? "mixed" : straight.Count >= 2 ? "lawnmower" : "corridor";
        if (inOrbits * 2 >= photos) return inStraight * 4 >= photos ? "mixed" : "orbit";
        return "irregular";
    }

    // A hole in a line where photos exist without a usable position (no GPS, far off, duplicated) is not a gap of
    // missing photos: those photos are flagged for what they are. Count them out of each gap by their capture time.
    private static List<Gap> NotFilledIn(List<Gap> gaps, List<PhotoFacts> list, List<int> ordered)
    {
        if (gaps.Count == 0) return gaps;
        var inFlight = new HashSet<int>(ordered);
        var others = list.Select((f, i) => (f, i)).Where(x => !inFlight.Contains(x.i) && x.f.HasTime && x.f.Status != GpsStatus.Error)
            .Select(x => x.f.Ticks).Order().ToArray();
        var kept = new List<Gap>();
        foreach (var g in gaps)
        {
            long from = list[ordered[g.After]].Ticks, to = list[ordered[g.Before]].Ticks;
            var present = others.Count(t => t > from && t < to);
            if (g.MissingPhotos - present >= 1) kept.Add(g with { MissingPhotos = g.MissingPhotos - present });
        }
        return kept;
    }

    // Level lines against their median; every other photo by the runs off its stretch of flight's altitude.
    private static void CheckAltitudes(List<PhotoFacts> list, List<int> ordered, List<Xy> p, List<double> seconds, List<FlightLine> lines,
        double[] altitudes, double threshold)
    {
        var judged = new bool[ordered.Count];
        void Apply(int k, AltitudeResult r, int q)
        {
            if (double.IsNaN(r.Residuals[q])) return;
            ref var f = ref CollectionsMarshal.AsSpan(list)[ordered[k]];
            f.AltitudeResidualM = (float)r.Residuals[q];
            f.AltitudeLimitM = (float)r.ThresholdM;
            if (Math.Abs(r.Residuals[q]) > r.ThresholdM) f.Flags |= PhotoFlags.AltitudeOff;
            judged[k] = true;
        }
        foreach (var line in lines)
            if (AltitudeCheck.Flat(line.Points.Select(k => altitudes[k]).ToArray(), threshold) is { } flat)
                for (var q = 0; q < line.Points.Length; q++) Apply(line.Points[q], flat, q);
        var shots = Shots(p, seconds);
        foreach (var stretch in Stretches(p, seconds))
            if (AltitudeCheck.Runs(stretch.Select(k => altitudes[k]).ToArray(), stretch.Select(k => shots[k]).ToArray(), threshold) is { } runs)
                for (var q = 0; q < stretch.Count; q++) if (!judged[stretch[q]]) Apply(stretch[q], runs, q);
    }

    // How many shots each photo lies after the one before it: its interval in the folder's usual intervals (by
    // time, else by distance), at least one.
    private static int[] Shots(List<Xy> p, List<double> seconds)
    {
        var steps = Enumerable.Range(1, Math.Max(0, p.Count - 1)).ToList();
        var interval = Plane.Median(steps.Select(k => seconds[k] - seconds[k - 1]));
        var spacing = Plane.Median(steps.Select(k => p[k].DistanceTo(p[k - 1])));
        var shots = new int[p.Count];
        foreach (var k in steps)
        {
            var by = interval > 0 && double.IsFinite(seconds[k] - seconds[k - 1]) ? (seconds[k] - seconds[k - 1]) / interval
                : spacing > 0 ? p[k].DistanceTo(p[k - 1]) / spacing : 1;
            shots[k] = Math.Max(1, (int)Math.Round(by, MidpointRounding.ToZero)); // 3 s of a 2 s interval on a whole-second clock: one shot
        }
        return shots;
    }

    // A stretch ends at a stop of a minute or this many usual intervals, or a jump of this many usual steps.
    private const double StretchBreakIntervals = 20, StretchBreakSteps = 20;

    // The flight in stretches flown without a break: split where the drone stopped for long (a battery swap) or jumped far.
    private static List<List<int>> Stretches(List<Xy> p, List<double> seconds)
    {
        var steps = Enumerable.Range(1, Math.Max(0, p.Count - 1)).ToList();
        var interval = Plane.Median(steps.Select(k => seconds[k] - seconds[k - 1]));
        var spacing = Plane.Median(steps.Select(k => p[k].DistanceTo(p[k - 1])));
        var result = new List<List<int>>();
        var current = new List<int>();
        for (var k = 0; k < p.Count; k++)
        {
            if (k > 0 && (seconds[k] - seconds[k - 1] > Math.Max(GapFinder.PauseSeconds, StretchBreakIntervals * interval)
                || p[k].DistanceTo(p[k - 1]) > StretchBreakSteps * spacing))
            {
                result.Add(current);
                current = [];
            }
            current.Add(k);
        }
        if (current.Count > 0) result.Add(current);
        return result;
    }

    private static LineReport Report(int index, FlightLine line, IReadOnlyList<Xy> p, IReadOnlyList<double> seconds, Func<int, string> name,
        AltitudeSource source, double[] altitudes)
    {
        var pts = line.Points;
        var steps = pts.Zip(pts.Skip(1), (a, c) => p[a].DistanceTo(p[c])).ToList();
        var interval = Plane.Median(pts.Zip(pts.Skip(1), (a, c) => seconds[c] - seconds[a]));
        var alt = pts.Select(k => altitudes[k]).Where(double.IsFinite).ToList();
        static double R(double v) => Math.Round(v, 2);
        double? Stat(Func<List<double>, double> f) => alt.Count == 0 ? null : R(f(alt));
        return new LineReport(index, line.Kind == LineKind.Orbit ? "orbit" : "straight", pts.Length, name(pts[0]), name(pts[^1]),
            line.Kind == LineKind.Straight ? R(line.AxisDeg) : null, R(steps.Sum()), R(Plane.Median(steps)),
            double.IsNaN(interval) ? null : R(interval), line.Kind == LineKind.Orbit ? R(line.RadiusM) : null,
            alt.Count == 0 ? null : source.ToString().ToLowerInvariant(), Stat(a => a.Min()), Stat(a => a.Max()), Stat(a => a.Max() - a.Min()),
            Stat(a => Plane.Mad(a, Plane.Median(a))));
    }
}
