using QcPipeline.Vision.Checks;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Vision.Evaluation;

/// <summary>What <see cref="BoardInspector"/> found on one board.</summary>
/// <param name="Tiles">The ROIs checked, row-major.</param>
/// <param name="Flagged">Per ROI: true when one of the board's defects overlaps it (the rule by which a ground-truth
/// box makes a ROI defective, and by which roi.join fails a ROI).</param>
/// <param name="Defects">The board's defects, most confident first.</param>
/// <param name="Raw">The blobs as the tiles reported them, before merging and growing (for tuning box rules).</param>
public sealed record BoardInspection(IReadOnlyList<PixelBox> Tiles, IReadOnlyList<bool> Flagged, IReadOnlyList<Defect> Defects, IReadOnlyList<Defect> Raw);

/// <summary>Checks a whole board tile by tile with the <see cref="DiffCheck"/> against its golden image, after
/// registering the whole board, and draws the defect boxes: what pipelines/deeppcb.yaml does, without the engine
/// (for the evaluation in tests and the tuning benchmark).</summary>
/// <param name="parameters">Diff parameters for every tile.</param>
/// <param name="tileSize">Tile edge in pixels.</param>
/// <param name="boxes">How defect boxes are merged and grown.</param>
/// <param name="globalShift">Whole-board registration range in pixels (0: off).</param>
public sealed class BoardInspector(DiffParameters parameters, int tileSize, BoxRules boxes, int globalShift = 16)
{
    /// <summary>The diff parameters.</summary>
    public DiffParameters Parameters { get; } = parameters;

    /// <summary>Tile edge in pixels.</summary>
    public int TileSize { get; } = tileSize > 0 ? tileSize : throw new ArgumentOutOfRangeException(nameof(tileSize), "tile size must be positive");

    /// <summary>How boxes are drawn.</summary>
    public BoxRules Boxes { get; } = boxes;

    /// <summary>Inspects one board. Both images must have the same size.</summary>
    /// <exception cref="VisionException">Sizes differ or an image is unusable.</exception>
    public BoardInspection Inspect(Image test, Image golden)
    {
        var tiles = TileGrid.Tiles(test.Width, test.Height, TileSize);
        var p = Parameters;
        if (globalShift > 0)
        {
            var (dx, dy) = Alignment.EstimateShift(test, golden, globalShift);
            p = p with { OffsetX = dx, OffsetY = dy };
        }
        var diff = new DiffCheck(p);
        var raw = tiles.SelectMany(t => diff.Detect(test, golden, t).Defects).ToList();
        return Finish(tiles, raw, Boxes, test.Bounds);
    }

    /// <summary>The board's result from raw tile blobs under other box rules.</summary>
    public static BoardInspection Finish(IReadOnlyList<PixelBox> tiles, IReadOnlyList<Defect> raw, BoxRules boxes, PixelBox bounds)
    {
        var defects = DefectBoxes.Finish(raw, boxes, bounds);
        return new BoardInspection(tiles, tiles.Select(t => defects.Any(d => d.Box.Overlaps(t))).ToArray(), defects, raw);
    }
}

/// <summary>ROI-level counts: a ROI is defective when a ground-truth box overlaps it.</summary>
public sealed class RoiMetrics
{
    /// <summary>Defective ROIs flagged.</summary>
    public int TruePositives { get; private set; }
    /// <summary>Clean ROIs flagged.</summary>
    public int FalsePositives { get; private set; }
    /// <summary>Defective ROIs missed.</summary>
    public int FalseNegatives { get; private set; }

    /// <summary>Flagged defective ROIs / defective ROIs (1 when there are none).</summary>
    public double Recall => Ratio(TruePositives, TruePositives + FalseNegatives);
    /// <summary>Defective flagged ROIs / flagged ROIs (1 when none flagged).</summary>
    public double Precision => Ratio(TruePositives, TruePositives + FalsePositives);

    /// <summary>Counts one board.</summary>
    public void AddBoard(IReadOnlyList<PixelBox> rois, IReadOnlyList<bool> flagged, IEnumerable<PixelBox> truth)
    {
        if (rois.Count != flagged.Count) throw new ArgumentException("one flag per ROI is needed", nameof(flagged));
        var boxes = truth.ToList();
        for (var i = 0; i < rois.Count; i++)
        {
            var defective = boxes.Any(t => t.Overlaps(rois[i]));
            if (defective && flagged[i]) TruePositives++;
            else if (defective) FalseNegatives++;
            else if (flagged[i]) FalsePositives++;
        }
    }

    private static double Ratio(int a, int b) => b == 0 ? 1 : (double)a / b;
}
