using QcPipeline.Vision.Checks;
using System.Diagnostics;

namespace QcPipeline.Vision.Evaluation;

/// <summary>Scores and speed of one evaluation run.</summary>
/// <param name="Metrics">ROI-level (ROIs flagged by reported boxes) and box-level counts.</param>
/// <param name="OwnPixelMetrics">ROI-level counts when a ROI is flagged only by changed pixels inside it.</param>
/// <param name="Boards">Boards inspected.</param>
/// <param name="Elapsed">Wall time, decoding included.</param>
/// <param name="Workers">Parallel workers used.</param>
public sealed record EvaluationReport(DetectionMetrics Metrics, DetectionMetrics OwnPixelMetrics, int Boards, TimeSpan Elapsed, int Workers)
{
    /// <summary>Boards per second, decode and inspection included.</summary>
    public double BoardsPerSecond => Boards / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant(
            $"{Boards} boards, ROI recall {Metrics.RoiRecall:F3} precision {Metrics.RoiPrecision:F3}, box recall {Metrics.BoxRecall:F3} precision {Metrics.BoxPrecision:F3}, {BoardsPerSecond:F1} boards/s with {Workers} worker(s)");
}

/// <summary>Runs the tiled diff over DeepPCB pairs and scores it against the ground truth.</summary>
public static class DeepPcbEvaluation
{
    /// <summary>The diff parameters chosen on the shared DeepPCB pairs (sweeps of one knob at a time
    /// around the defaults): a 1 px tolerance band absorbs edge jitter between the two scans (precision
    /// 0.78 -> 0.84), a 5 px blur evens out JPEG noise, and blobs down to 8 px keep pin-holes.</summary>
    public static DiffParameters TunedParameters { get; } = new() { Tolerance = 1, BlurKernel = 5, MinArea = 8 };

    /// <summary>The tiled inspector with <see cref="TunedParameters"/>, DefaultTile px tiles, board registration
    /// within 16 px, and 12 px box margins (the median gap between a blob and its annotated box is 10-11 px).</summary>
    public static TiledDiffInspector TunedInspector(int tileSize = DefaultTile) => new(TunedParameters, tileSize, mergeGap: 4, boxMargin: 12, globalShift: 16);

    /// <summary>ROI edge for DeepPCB boards: a 5×5 grid on a 640 px board. With 64 px tiles (10×10) ROI precision
    /// falls to about 0.85: a ground-truth box touching a tile by one pixel makes it defective, and the annotated boxes
    /// sit 7..18 px around their defect, so the finer the grid the more tiles a fixed box margin misjudges.</summary>
    public const int DefaultTile = 128;

    /// <summary>Inspects every pair listed in <paramref name="pairsFile"/> with
    /// <paramref name="workers"/> parallel workers (boards are independent).</summary>
    /// <exception cref="VisionException">An image is missing or unreadable (message names it).</exception>
    public static EvaluationReport Run(string pairsFile, TiledDiffInspector inspector, int workers = 1, int repeat = 1)
    {
        var pairs = DeepPcbPairs.Read(pairsFile);
        var truth = pairs.Select(p => GroundTruth.Read(p.GroundTruth).Select(d => d.Box).ToList()).ToList();
        var results = new BoardInspection[pairs.Count];
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < Math.Max(1, repeat); round++)
            Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers) }, i =>
            {
                // Grey decode: the boards are binarised, and grey JPEG decoding is about half the cost of colour.
                using var test = Image.Load(pairs[i].TestImage, ImageReadMode.Grayscale);
                using var golden = Image.Load(pairs[i].TemplateImage, ImageReadMode.Grayscale);
                results[i] = inspector.Inspect(test, golden);
            });
        clock.Stop();
        var metrics = new DetectionMetrics();
        var own = new DetectionMetrics();
        for (var i = 0; i < pairs.Count; i++)
        {
            metrics.AddBoard(results[i].Tiles, results[i].Flagged, truth[i], results[i].Defects);
            own.AddBoard(results[i].Tiles, results[i].FlaggedByOwnPixels, truth[i], results[i].Defects);
        }
        return new EvaluationReport(metrics, own, pairs.Count * Math.Max(1, repeat), clock.Elapsed, Math.Max(1, workers));
    }
}
