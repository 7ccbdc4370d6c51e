using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Vision;
using QcPipeline.Vision.Evaluation;

namespace QcPipeline.Inspection;

public sealed class RoiFanOutOptions : IBoundedFanOut
{
    /// <summary>The product's and the inline ROIs (roi.check's "auto" is min(ROIs, cores)); unknown with a tile grid,
    /// or while the product file cannot be read (starting the stage then says why).</summary>
    public int? MostChildren()
    {
        if (Tile > 0) return null;
        try { return Rois.Length + (Product.Length > 0 ? ProductLoader.Load(Product).Rois.Length : 0); }
        catch (JobInvalidException) { return null; }
    }

    [Option("Product definition file (config/products/NAME.yaml): golden image and ROIs.", IsPath = true)]
    public string Product { get; init; } = "";

    [Option("ROIs written in the job itself (instead of, or besides, the product's).")]
    public RoiSpec[] Rois { get; init; } = [];

    [Option("Golden image for the inline ROIs. Default: the image's own reference (deeppcb.pairs).", IsPath = true)]
    public string Golden { get; init; } = "";

    [Option("Cut every image into a grid of square ROIs of this many pixels (0: no grid); the last row and column are narrower when the size does not divide the image.", Min = 0, Max = 65536)]
    public int Tile { get; init; }

    [Option("The check run on every grid tile.", Allowed = ["template", "diff", "intensity", "edges"])]
    public string Check { get; init; } = "diff";

    [Option("Parameters of the grid tiles' check.")]
    public CheckParameters Params { get; init; } = new();

    [Option("Register each image against its golden within this many pixels before the diff checks of the inline ROIs and grid (0: off; a product sets its own).", Min = 0, Max = 1024)]
    public int Register { get; init; }
}

/// <summary>Splits an image into its ROIs: small descriptors that point at the parent's shared pixels.</summary>
[Stage("roi.fanout", "Splits each image into ROIs: those of a product file, inline rois, and/or a tile grid. Children carry descriptors only; the pixels stay with the parent.")]
public sealed class RoiFanOutStage : FanOutStage<LoadedImage, RoiTask, RoiFanOutOptions>
{
    private IReadOnlyList<RoiPlan> _fixed = [];

    /// <summary>The fixed ROIs (product and inline), known once the stage has started.</summary>
    public IReadOnlyList<RoiPlan> FixedRois => _fixed;

    public override ValueTask StartAsync(CancellationToken ct)
    {
        var plans = new List<RoiPlan>();
        if (Options.Product.Length > 0) plans.AddRange(ProductLoader.Plan(ProductLoader.Load(Options.Product)));
        plans.AddRange(ProductLoader.Plan(Options.Rois, Options.Golden, Options.Register));
        var twice = plans.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new InspectionException($"ROI name '{twice.Key}' is used twice");
        if (plans.Count == 0 && Options.Tile == 0)
            throw new InspectionException("no ROIs: give a product, inline rois, or a tile size");
        _fixed = plans;
        return ValueTask.CompletedTask;
    }

    public override IReadOnlyList<RoiTask> Expand(LoadedImage item, ItemContext context)
    {
        var plans = _fixed;
        if (Options.Tile > 0)
        {
            var pixels = item.Pixels;
            var tiles = pixels.Image is null
                ? [new PixelBox(0, 0, 1, 1)] // nothing to tile: one ROI carries the decode error
                : TileGrid.Tiles(pixels.Width, pixels.Height, Options.Tile);
            var columns = Math.Max(1, (pixels.Width + Options.Tile - 1) / Options.Tile);
            var grid = tiles.Select((t, i) => new RoiPlan($"tile_r{i / columns:D2}c{i % columns:D2}", t, Options.Check, Options.Params,
                Options.Golden.Length > 0 ? Options.Golden : null, Options.Register));
            plans = plans.Concat(grid).ToList();
        }
        return plans.Select((p, i) => new RoiTask(item, p, i)).ToList();
    }
}

/// <summary>A problem with the inspection's configuration or input, told in one line.</summary>
public sealed class InspectionException(string message) : Exception(message);
