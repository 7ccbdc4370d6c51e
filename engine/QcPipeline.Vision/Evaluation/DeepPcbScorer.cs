using QcPipeline.Vision.Defects;

namespace QcPipeline.Vision.Evaluation;

/// <summary>Precision, recall, F-score and average precision of one way of matching.</summary>
/// <param name="Precision">Matches / detections (1 when there are none).</param>
/// <param name="Recall">Matches / ground-truth defects (1 when there are none).</param>
/// <param name="F">2PR / (P + R).</param>
/// <param name="AP">Average precision over detections sorted by confidence (the ICDAR 2015 formula the data set's
/// script uses: the mean over ranks of a true detection of the precision up to it, divided by all ground truth);
/// for typed matching, the mean of the six per-type APs (mAP).</param>
/// <param name="Matches">Ground-truth defects matched.</param>
/// <param name="Detections">Detections reported.</param>
/// <param name="Truths">Ground-truth defects.</param>
public sealed record ProtocolScores(double Precision, double Recall, double F, double AP, int Matches, int Detections, int Truths);

/// <summary>Scores of a set of boards by DeepPCB's protocol.</summary>
/// <param name="Agnostic">A detection matches whatever its type.</param>
/// <param name="Typed">A detection matches only a ground-truth defect of its own type.</param>
/// <param name="PerType">Typed scores of each of the six types.</param>
/// <param name="Confusion">Ground-truth type → detected type (of its class-agnostic match) → count; "missed" for
/// defects no detection matched; the row "false" counts detections that matched nothing, by type.</param>
public sealed record DeepPcbScores(ProtocolScores Agnostic, ProtocolScores Typed, IReadOnlyDictionary<string, ProtocolScores> PerType,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Confusion);

/// <summary>
/// DeepPCB's evaluation (the authors' evaluation/script.py, adapted from ICDAR 2015), board by board: ground-truth
/// defects are taken in file order, each matched to the first detection (in the order reported, which is by falling
/// confidence here) not matched yet whose IoU with it exceeds 0.33; typed matching also needs the same type. Counts
/// are summed over all boards before precision and recall are taken.
/// </summary>
public sealed class DeepPcbScorer(double iouThreshold = DeepPcbScorer.DefaultIoU)
{
    /// <summary>The data set's criterion: IoU above this is a match.</summary>
    public const double DefaultIoU = 0.33;

    private readonly List<(double Confidence, bool Matched)> _agnostic = [];
    private readonly Dictionary<DefectType, List<(double Confidence, bool Matched)>> _typed = DefectTypes.DeepPcb.ToDictionary(t => t, _ => new List<(double, bool)>());
    private readonly Dictionary<DefectType, int> _truthsByType = DefectTypes.DeepPcb.ToDictionary(t => t, _ => 0);
    private readonly Dictionary<string, Dictionary<string, int>> _confusion = [];
    private int _truths, _detections, _agnosticMatches, _typedMatches;

    /// <summary>IoU a match must exceed.</summary>
    public double IoUThreshold { get; } = iouThreshold;

    /// <summary>Boards scored so far.</summary>
    public int Boards { get; private set; }

    /// <summary>Scores one board: its ground truth in file order, its detections in the order they are reported.</summary>
    public void AddBoard(IReadOnlyList<GroundTruthDefect> truth, IReadOnlyList<Defect> detections)
    {
        Boards++;
        _truths += truth.Count;
        _detections += detections.Count;
        foreach (var t in truth) if (_truthsByType.ContainsKey((DefectType)t.Type)) _truthsByType[(DefectType)t.Type]++;

        var agnostic = Match(truth, detections, typed: false);
        var typedMatch = Match(truth, detections, typed: true);
        _agnosticMatches += agnostic.Count(m => m >= 0);
        _typedMatches += typedMatch.Count(m => m >= 0);
        var matchedA = new bool[detections.Count];
        var matchedT = new bool[detections.Count];
        for (var g = 0; g < truth.Count; g++)
        {
            if (agnostic[g] >= 0) matchedA[agnostic[g]] = true;
            if (typedMatch[g] >= 0) matchedT[typedMatch[g]] = true;
            Count(TypeName(truth[g].Type), agnostic[g] >= 0 ? DefectTypes.Name(detections[agnostic[g]].Type) : "missed");
        }
        for (var d = 0; d < detections.Count; d++)
        {
            _agnostic.Add((detections[d].Confidence, matchedA[d]));
            if (_typed.TryGetValue(detections[d].Type, out var list)) list.Add((detections[d].Confidence, matchedT[d]));
            if (!matchedA[d]) Count("false", DefectTypes.Name(detections[d].Type));
        }
    }

    /// <summary>For each ground-truth defect, the index of the detection it matched, or -1.</summary>
    public int[] Match(IReadOnlyList<GroundTruthDefect> truth, IReadOnlyList<Defect> detections, bool typed)
    {
        var used = new bool[detections.Count];
        var matches = new int[truth.Count];
        for (var g = 0; g < truth.Count; g++)
        {
            matches[g] = -1;
            for (var d = 0; d < detections.Count; d++)
            {
                if (used[d] || truth[g].Box.IoU(detections[d].Box) <= IoUThreshold) continue;
                if (typed && (int)detections[d].Type != truth[g].Type) continue;
                used[d] = true;
                matches[g] = d;
                break;
            }
        }
        return matches;
    }

    /// <summary>The scores so far.</summary>
    public DeepPcbScores Scores()
    {
        var perType = DefectTypes.DeepPcb.ToDictionary(t => DefectTypes.Name(t), t =>
        {
            var list = _typed[t];
            var matches = list.Count(x => x.Matched);
            return Make(matches, list.Count, _truthsByType[t], AveragePrecision(list, _truthsByType[t]));
        });
        var withTruth = DefectTypes.DeepPcb.Where(t => _truthsByType[t] > 0).ToList();
        var map = withTruth.Count == 0 ? 1 : withTruth.Average(t => perType[DefectTypes.Name(t)].AP);
        return new DeepPcbScores(
            Make(_agnosticMatches, _detections, _truths, AveragePrecision(_agnostic, _truths)),
            Make(_typedMatches, _detections, _truths, map),
            perType,
            _confusion.ToDictionary(r => r.Key, r => (IReadOnlyDictionary<string, int>)r.Value.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary()));
    }

    private static ProtocolScores Make(int matches, int detections, int truths, double ap)
    {
        double p = detections == 0 ? 1 : (double)matches / detections, r = truths == 0 ? 1 : (double)matches / truths;
        return new ProtocolScores(p, r, p + r == 0 ? 0 : 2 * p * r / (p + r), ap, matches, detections, truths);
    }

    /// <summary>ICDAR 2015's AP: detections by falling confidence; at each true one, the precision so far; summed
    /// and divided by the number of ground-truth defects. Among equal confidences false detections come first (the
    /// pessimistic order), so the figure does not depend on the order boards finish in.</summary>
    public static double AveragePrecision(IEnumerable<(double Confidence, bool Matched)> detections, int truths)
    {
        if (truths == 0) return 1;
        double sum = 0;
        var correct = 0;
        var rank = 0;
        foreach (var (_, matched) in detections.OrderByDescending(d => d.Confidence).ThenBy(d => d.Matched))
        {
            rank++;
            if (!matched) continue;
            correct++;
            sum += (double)correct / rank;
        }
        return sum / truths;
    }

    private void Count(string row, string column)
    {
        if (!_confusion.TryGetValue(row, out var r)) _confusion[row] = r = [];
        r[column] = r.GetValueOrDefault(column) + 1;
    }

    private static string TypeName(int type) => type is >= 1 and <= 6 ? DefectTypes.Name((DefectType)type) : $"type {type}";
}
