using QcPipeline.Vision.Checks;

namespace QcPipeline.Vision.Evaluation;

/// <summary>What <see cref="TiledDiffInspector"/> found on one board.</summary>
/// <param name="Tiles">The ROIs checked, row-major.</param>
/// <param name="Flagged">Per ROI: true when a reported defect box (with its margin) overlaps it,
/// the same rule by which a ground-truth box makes a ROI defective.</param>
/// <param name="FlaggedByOwnPixels">Per ROI: true when the diff check found changed pixels inside it.</param>
/// <param name="Defects">Defect boxes in board pixels, merged across tile borders.</param>
public sealed record BoardInspection(IReadOnlyList<PixelBox> Tiles, IReadOnlyList<bool> Flagged, IReadOnlyList<PixelBox> Defects,
    IReadOnlyList<bool> FlaggedByOwnPixels);

/// <summary>Checks a whole board tile by tile with the <see cref="DiffCheck"/> against the same
/// tile of its golden image, then merges the blobs into board-level defect boxes.</summary>
/// <param name="parameters">Diff parameters for every tile.</param>
/// <param name="tileSize">Tile edge in pixels (default 64).</param>
/// <param name="mergeGap">Blobs closer than this many pixels are one defect (default 4: a defect
/// cut by a tile border or broken by the opening).</param>
/// <param name="boxMargin">Pixels added on every side of a merged defect box (clipped to the
/// board), so that the box shows the defect with its surroundings the way inspectors (and
/// DeepPCB's annotators) draw it rather than only the changed pixels.</param>
/// <param name="globalShift">Registers the whole board first (see <see cref="Alignment.EstimateShift"/>)
/// within this many pixels, so the per-tile search only absorbs local error; 0 = off. Default 16.</param>
public sealed class TiledDiffInspector(DiffParameters parameters, int tileSize = 64, int mergeGap = 4, int boxMargin = 10, int globalShift = 16)
{
    private readonly DiffParameters _parameters = parameters;

    /// <summary>Global registration range in pixels.</summary>
    public int GlobalShift { get; } = globalShift;

    /// <summary>Tile edge in pixels.</summary>
    public int TileSize { get; } = tileSize > 0 ? tileSize : throw new ArgumentOutOfRangeException(nameof(tileSize), "tile size must be positive");

    /// <summary>Merge distance in pixels.</summary>
    public int MergeGap { get; } = mergeGap;

    /// <summary>Margin added around each reported defect box.</summary>
    public int BoxMargin { get; } = boxMargin;

    /// <summary>Inspects one board. Both images must have the same size.</summary>
    /// <exception cref="VisionException">Sizes differ or an image is unusable.</exception>
    public BoardInspection Inspect(Image test, Image golden)
    {
        var tiles = TileGrid.Tiles(test.Width, test.Height, TileSize);
        var check = _parameters;
        if (GlobalShift > 0)
        {
            var (dx, dy) = Alignment.EstimateShift(test, golden, GlobalShift);
            check = check with { OffsetX = dx, OffsetY = dy };
        }
        var diff = new DiffCheck(check);
        var own = new bool[tiles.Count];
        var blobs = new List<PixelBox>();
        for (var i = 0; i < tiles.Count; i++)
        {
            var found = diff.Detect(test, golden, tiles[i]);
            own[i] = found.BlobCount > 0;
            blobs.AddRange(found.Blobs);
        }
        var board = test.Bounds;
        var defects = BoxMerger.Merge(blobs, MergeGap).Select(b => b.Inflate(BoxMargin).Intersect(board)).ToList();
        var flagged = tiles.Select(t => defects.Any(d => d.Overlaps(t))).ToArray();
        return new BoardInspection(tiles, flagged, defects, own);
    }
}
