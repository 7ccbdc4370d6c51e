namespace QcPipeline.Vision.Evaluation;

/// <summary>Counts for ROI-level and box-level scoring, added board by board.</summary>
public sealed class DetectionMetrics
{
    /// <summary>DeepPCB's criterion: a detection matches a ground-truth box when IoU exceeds this.</summary>
    public const double DefaultIoU = 0.33;

    /// <summary>Creates empty counts with the given IoU criterion.</summary>
    public DetectionMetrics(double iouThreshold = DefaultIoU) => IoUThreshold = iouThreshold;

    /// <summary>IoU a box match must exceed.</summary>
    public double IoUThreshold { get; }

    /// <summary>Defective ROIs flagged.</summary>
    public int RoiTruePositives { get; private set; }
    /// <summary>Clean ROIs flagged.</summary>
    public int RoiFalsePositives { get; private set; }
    /// <summary>Defective ROIs missed.</summary>
    public int RoiFalseNegatives { get; private set; }
    /// <summary>Ground-truth boxes matched by a reported box.</summary>
    public int BoxesFound { get; private set; }
    /// <summary>Ground-truth boxes in total.</summary>
    public int BoxesExpected { get; private set; }
    /// <summary>Reported boxes in total.</summary>
    public int BoxesReported { get; private set; }

    /// <summary>ROI recall: flagged defective ROIs / defective ROIs (1 when there are none).</summary>
    public double RoiRecall => Ratio(RoiTruePositives, RoiTruePositives + RoiFalseNegatives);
    /// <summary>ROI precision: defective flagged ROIs / flagged ROIs (1 when none flagged).</summary>
    public double RoiPrecision => Ratio(RoiTruePositives, RoiTruePositives + RoiFalsePositives);
    /// <summary>Box recall: matched ground-truth boxes / ground-truth boxes.</summary>
    public double BoxRecall => Ratio(BoxesFound, BoxesExpected);
    /// <summary>Box precision: matched reported boxes / reported boxes (one-to-one matching).</summary>
    public double BoxPrecision => Ratio(BoxesFound, BoxesReported);

    /// <summary>Scores one board. A ROI is defective when any ground-truth box overlaps it;
    /// boxes are matched one-to-one, best IoU first.</summary>
    public void AddBoard(IReadOnlyList<PixelBox> rois, IReadOnlyList<bool> flagged, IReadOnlyList<PixelBox> truth, IReadOnlyList<PixelBox> reported)
    {
        if (rois.Count != flagged.Count) throw new ArgumentException("one flag per ROI is needed", nameof(flagged));
        for (var i = 0; i < rois.Count; i++)
        {
            var defective = truth.Any(t => t.Overlaps(rois[i]));
            if (defective && flagged[i]) RoiTruePositives++;
            else if (defective) RoiFalseNegatives++;
            else if (flagged[i]) RoiFalsePositives++;
        }
        BoxesExpected += truth.Count;
        BoxesReported += reported.Count;
        BoxesFound += CountMatches(truth, reported, IoUThreshold);
    }

    /// <summary>Greedy one-to-one matching by descending IoU; returns the number of pairs above the threshold.</summary>
    public static int CountMatches(IReadOnlyList<PixelBox> truth, IReadOnlyList<PixelBox> reported, double iouThreshold)
    {
        var candidates = new List<(double IoU, int T, int R)>();
        for (var t = 0; t < truth.Count; t++)
            for (var r = 0; r < reported.Count; r++)
            {
                var iou = truth[t].IoU(reported[r]);
                if (iou > iouThreshold) candidates.Add((iou, t, r));
            }
        var usedT = new bool[truth.Count];
        var usedR = new bool[reported.Count];
        var matches = 0;
        foreach (var (_, t, r) in candidates.OrderByDescending(c => c.IoU))
        {
            if (usedT[t] || usedR[r]) continue;
            usedT[t] = usedR[r] = true;
            matches++;
        }
        return matches;
    }

    private static double Ratio(int a, int b) => b == 0 ? 1 : (double)a / b;
}
