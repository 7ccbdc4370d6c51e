using System.Text.RegularExpressions;

namespace QcPipeline.Demo.Generation;

/// <summary>What flight QC made of one photo: its file name and the flags it got.</summary>
public sealed record FoundPhoto(string Name, IReadOnlySet<string> Flags);
/// <summary>A gap flight QC reported, between two photos (by file name).</summary>
public sealed record FoundGap(string After, string Before);

/// <summary>
/// How well flight QC found the faults injected into a flight: recall per flag (injected photos that got their
/// flag), clean photos that got any flag, removed photos inside a reported gap, and reported gaps that are real
/// (they hold a removed photo, or, for DJI names, a jump in the camera's file counter: photos the original
/// survey lacks too).
/// </summary>
public sealed partial class FaultScore
{
    /// <summary>Per flag: injected photos that got it, and photos it was injected into.</summary>
    public Dictionary<string, (int Found, int Injected)> ByFlag { get; } = new(StringComparer.Ordinal);
    /// <summary>Photos without an injected fault.</summary>
    public int CleanPhotos { get; private set; }
    /// <summary>Clean photos that got a flag all the same.</summary>
    public int CleanFlagged { get; private set; }
    /// <summary>Each miss and false alarm, one line each (for a failure message).</summary>
    public List<string> Misses { get; } = [];
    /// <summary>Photos removed from the flights.</summary>
    public int RemovedPhotos { get; private set; }
    /// <summary>Removed photos that lie inside a reported gap.</summary>
    public int RemovedCovered { get; private set; }
    /// <summary>Gaps flight QC reported.</summary>
    public int ReportedGaps { get; private set; }
    /// <summary>Reported gaps that hold a removed photo or a jump of the camera's file counter.</summary>
    public int RealGaps { get; private set; }

    /// <summary>Share of removed photos inside a reported gap (1 when none was removed).</summary>
    public double GapCoverage => RemovedPhotos == 0 ? 1 : (double)RemovedCovered / RemovedPhotos;
    /// <summary>Share of reported gaps that are real (1 when none was reported).</summary>
    public double GapPrecision => ReportedGaps == 0 ? 1 : (double)RealGaps / ReportedGaps;
    /// <summary>Share of clean photos that got a flag.</summary>
    public double CleanFlaggedShare => CleanPhotos == 0 ? 0 : (double)CleanFlagged / CleanPhotos;
    /// <summary>Share of the photos <paramref name="flag"/> was injected into that got it (1 when none).</summary>
    public double Recall(string flag) => ByFlag.TryGetValue(flag, out var x) && x.Injected > 0 ? (double)x.Found / x.Injected : 1;

    /// <summary>The score of one flight.</summary>
    public static FaultScore Of(FaultedFlight truth, IEnumerable<FoundPhoto> photos, IEnumerable<FoundGap> gaps)
    {
        var score = new FaultScore();
        score.Add(truth, photos, gaps);
        return score;
    }

    /// <summary>Adds one flight: the truth about its faults, and what flight QC found.</summary>
    public void Add(FaultedFlight truth, IEnumerable<FoundPhoto> photos, IEnumerable<FoundGap> gaps)
    {
        foreach (var p in photos)
        {
            if (truth.Expected.TryGetValue(p.Name, out var flag))
            {
                var (found, injected) = ByFlag.GetValueOrDefault(flag);
                var hit = p.Flags.Contains(flag);
                ByFlag[flag] = (found + (hit ? 1 : 0), injected + 1);
                if (!hit) Misses.Add($"{p.Name}: {flag} not found ({string.Join(";", p.Flags)})");
                continue;
            }
            CleanPhotos++;
            if (p.Flags.Count == 0) continue;
            CleanFlagged++;
            Misses.Add($"{p.Name}: clean, flagged {string.Join(";", p.Flags)}");
        }
        var index = truth.Original.Select((p, i) => (p.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        var spans = gaps.Where(g => index.ContainsKey(g.After) && index.ContainsKey(g.Before))
            .Select(g => (From: index[g.After], To: index[g.Before], g)).ToList();
        ReportedGaps += gaps.Count();
        foreach (var (from, to, g) in spans)
            if (truth.Removed.Any(r => r.Index > from && r.Index < to) || CounterJumps(g.After, g.Before)) RealGaps++;
            else Misses.Add($"gap {g.After} → {g.Before}: nothing was removed there");
        RemovedPhotos += truth.Removed.Count;
        foreach (var r in truth.Removed)
        {
            if (spans.Any(s => r.Index > s.From && r.Index < s.To)) RemovedCovered++;
            else Misses.Add($"{r.Name}: removed, in no gap");
        }
    }

    /// <summary>Adds another score's counts.</summary>
    public void Add(FaultScore other)
    {
        foreach (var (flag, (found, injected)) in other.ByFlag)
        {
            var (f, i) = ByFlag.GetValueOrDefault(flag);
            ByFlag[flag] = (f + found, i + injected);
        }
        CleanPhotos += other.CleanPhotos; CleanFlagged += other.CleanFlagged; Misses.AddRange(other.Misses);
        RemovedPhotos += other.RemovedPhotos; RemovedCovered += other.RemovedCovered;
        ReportedGaps += other.ReportedGaps; RealGaps += other.RealGaps;
    }

    // DJI names carry the camera's photo counter (DJI_20251002120847_0345_D.JPG): a jump means photos missing from the survey itself.
    private static bool CounterJumps(string after, string before)
    {
        if (Counter().Match(after) is not { Success: true } a || Counter().Match(before) is not { Success: true } b) return false;
        int x = int.Parse(a.Groups[1].Value), y = int.Parse(b.Groups[1].Value);
        return !(y == x + 1 || (x >= 999 && y == 1)); // DJI's counter runs 0001 to 0999, then starts again
    }

    [GeneratedRegex(@"_(\d{4,})_[A-Z]+\.JPG$", RegexOptions.IgnoreCase)]
    private static partial Regex Counter();
}
