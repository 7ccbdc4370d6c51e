using System.Globalization;

namespace QcPipeline.SiteScan.Flight;

/// <summary>A folder's (or the site's) verdict: ok, warn or fail, with the reasons, worst first.</summary>
public sealed record FolderVerdict(string Status, IReadOnlyList<string> Reasons);

/// <summary>
/// The verdict rules, from the job's thresholds. fail: no usable position at all, more than fail_flagged_pct of
/// the photos flagged or unreadable, or a gap missing fail_gap_photos or more. warn: more than warn_flagged_pct
/// flagged or unreadable (by default any), any gap, or a mapping flight's estimated overlap below
/// min_forward_overlap or min_side_overlap. Otherwise ok.
/// </summary>
internal static class Verdicts
{
    public const string Ok = "ok", Warn = "warn", Fail = "fail";

    public static FolderVerdict Judge(int photos, int positioned, int flagged, int unreadable, IReadOnlyDictionary<string, int> counts,
        IReadOnlyList<GapReport> gaps, OverlapEstimate? overlap, string pattern, GpsAggregateOptions o)
    {
        var fail = new List<string>();
        var warn = new List<string>();
        if (photos > 0 && positioned == 0) fail.Add("no photo has a usable position");

        var problems = flagged + unreadable;
        if (problems > 0)
        {
            var share = 100.0 * problems / Math.Max(1, photos);
            var kinds = counts.Where(c => c.Value > 0).OrderByDescending(c => c.Value).Select(c => $"{c.Value} {c.Key}").ToList();
            if (unreadable > 0) kinds.Add($"{unreadable} unreadable");
            var text = $"{problems} of {photos} photos flagged or unreadable ({share.ToString("0.#", CultureInfo.InvariantCulture)} %): {string.Join(", ", kinds)}";
            if (share > o.FailFlaggedPct) fail.Add(text);
            else if (share > o.WarnFlaggedPct) warn.Add(text);
        }

        if (gaps.Count > 0)
        {
            var largest = gaps.MaxBy(g => g.MissingPhotos)!;
            var missing = gaps.Sum(g => g.MissingPhotos);
            var text = $"{gaps.Count} gap{(gaps.Count == 1 ? "" : "s")}, about {missing} photo{(missing == 1 ? "" : "s")} missing "
                       + $"(largest: {largest.MissingPhotos} after {largest.After}, {largest.LengthM.ToString("0", CultureInfo.InvariantCulture)} m)";
            (largest.MissingPhotos >= o.FailGapPhotos ? fail : warn).Add(text);
        }

        if (overlap is not null && pattern is "lawnmower" or "mixed" or "corridor")
        {
            if (overlap.Forward < o.MinForwardOverlap) warn.Add($"forward overlap about {Pct(overlap.Forward.Value)} (below {Pct(o.MinForwardOverlap)})");
            if (overlap.Side is { } side && side < o.MinSideOverlap) warn.Add($"side overlap about {Pct(side)} (below {Pct(o.MinSideOverlap)})");
        }
        return fail.Count > 0 ? new FolderVerdict(Fail, [.. fail, .. warn])
            : warn.Count > 0 ? new FolderVerdict(Warn, warn)
            : new FolderVerdict(Ok, []);
    }

    /// <summary>The site's verdict: its worst folder's, with how many folders came out each way.</summary>
    public static FolderVerdict Site(IReadOnlyCollection<(string Folder, FolderVerdict Verdict)> folders)
    {
        var failed = folders.Where(f => f.Verdict.Status == Fail).Select(f => f.Folder).ToList();
        var warned = folders.Where(f => f.Verdict.Status == Warn).Select(f => f.Folder).ToList();
        var reasons = new List<string>();
        if (failed.Count > 0) reasons.Add($"{failed.Count} folder{(failed.Count == 1 ? "" : "s")} fail: {string.Join(", ", failed.Take(10))}{(failed.Count > 10 ? ", …" : "")}");
        if (warned.Count > 0) reasons.Add($"{warned.Count} folder{(warned.Count == 1 ? "" : "s")} warn: {string.Join(", ", warned.Take(10))}{(warned.Count > 10 ? ", …" : "")}");
        return new FolderVerdict(failed.Count > 0 ? Fail : warned.Count > 0 ? Warn : Ok, reasons);
    }

    private static string Pct(double share) => (share * 100).ToString("0", CultureInfo.InvariantCulture) + " %";
}
