using System.Diagnostics;
using QcPipeline.Vision.Checks;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Vision.Evaluation;

/// <summary>Scores and speed of one evaluation run.</summary>
/// <param name="Scores">DeepPCB's protocol, class-agnostic and typed.</param>
/// <param name="Rois">ROI-level counts (ROIs flagged by the board's defects).</param>
/// <param name="Boards">Boards inspected.</param>
/// <param name="Elapsed">Wall time, decoding included.</param>
/// <param name="Workers">Parallel workers used.</param>
public sealed record EvaluationReport(DeepPcbScores Scores, RoiMetrics Rois, int Boards, TimeSpan Elapsed, int Workers)
{
    /// <summary>Boards per second, decode and inspection included.</summary>
    public double BoardsPerSecond => Boards / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant(
        $"{Boards} boards: agnostic P {Scores.Agnostic.Precision:F3} R {Scores.Agnostic.Recall:F3} F {Scores.Agnostic.F:F3} AP {Scores.Agnostic.AP:F3}; typed P {Scores.Typed.Precision:F3} R {Scores.Typed.Recall:F3} F {Scores.Typed.F:F3} mAP {Scores.Typed.AP:F3}; ROI recall {Rois.Recall:F3} precision {Rois.Precision:F3}; {BoardsPerSecond:F1} boards/s with {Workers} worker(s)");
}

/// <summary>Runs the tiled diff over DeepPCB pairs and scores it against the ground truth.</summary>
public static class DeepPcbEvaluation
{
    /// <summary>The diff parameters chosen by grouped cross-validation on DeepPCB's training split (`./run.sh bench
    /// deeppcb-cv`, BENCHMARKS.md): a 1 px tolerance band absorbs edge jitter between the two scans, a 5 px blur evens
    /// out JPEG noise, each tile may sit up to 16 px away from the whole-board registration (the scans are not
    /// uniformly displaced), blobs under 16 px are noise, and strips 12 times longer than wide are registration
    /// residue along edges.</summary>
    public static DiffParameters TunedParameters { get; } = new() { MaxShift = 16, Tolerance = 1, BlurKernel = 5, MinArea = 16, MaxElongation = 12 };

    /// <summary>Box rules chosen with the parameters: pieces of one type within 2 px merged, 12 px drawn around.</summary>
    public static BoxRules TunedBoxes { get; } = new(MergeGap: 2, Margin: 12, MinSize: 0);

    /// <summary>ROI edge for DeepPCB boards: a 5x5 grid on a 640 px board.</summary>
    public const int DefaultTile = 128;

    /// <summary>The inspector with the tuned parameters.</summary>
    public static BoardInspector TunedInspector(int tileSize = DefaultTile) => new(TunedParameters, tileSize, TunedBoxes);

    /// <summary>Inspects every pair listed in <paramref name="pairsFile"/> with <paramref name="workers"/> parallel
    /// workers (boards are independent) and scores the result.</summary>
    /// <exception cref="VisionException">An image is missing or unreadable (message names it).</exception>
    public static EvaluationReport Run(string pairsFile, BoardInspector inspector, int workers = 1) =>
        Run(DeepPcbPairs.Read(pairsFile), inspector, workers, out _);

    /// <summary>As <see cref="Run(string, BoardInspector, int)"/>, for a list of pairs, also giving each board's inspection.</summary>
    public static EvaluationReport Run(IReadOnlyList<DeepPcbPair> pairs, BoardInspector inspector, int workers, out BoardInspection[] results)
    {
        var found = new BoardInspection[pairs.Count];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers) }, i =>
        {
            // Grey decode: the boards are binarised, and grey JPEG decoding is about half the cost of colour.
            using var test = Image.Load(pairs[i].TestImage, ImageReadMode.Grayscale);
            using var golden = Image.Load(pairs[i].TemplateImage, ImageReadMode.Grayscale);
            found[i] = inspector.Inspect(test, golden);
        });
        clock.Stop();
        results = found;
        var truth = pairs.Select(p => GroundTruth.Read(p.GroundTruth)).ToList();
        var (scores, rois) = Score(truth, found);
        return new EvaluationReport(scores, rois, pairs.Count, clock.Elapsed, Math.Max(1, workers));
    }

    /// <summary>Scores inspections against their ground truth.</summary>
    public static (DeepPcbScores Scores, RoiMetrics Rois) Score(IReadOnlyList<IReadOnlyList<GroundTruthDefect>> truth, IReadOnlyList<BoardInspection> found)
    {
        var scorer = new DeepPcbScorer();
        var rois = new RoiMetrics();
        for (var i = 0; i < found.Count; i++)
        {
            scorer.AddBoard(truth[i], found[i].Defects);
            rois.AddBoard(found[i].Tiles, found[i].Flagged, truth[i].Select(t => t.Box));
        }
        return (scorer.Scores(), rois);
    }
}
