using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Inspection.Checks;
using QcPipeline.Vision;
using QcPipeline.Vision.Checks;
using QcPipeline.Vision.Evaluation;

namespace QcPipeline.Inspection;

/// <summary>roi.fanout's options. Validated when the job is loaded (so `validate` reports it, located): the product
/// file and everything in it (syntax, keys, check kinds, parameter sections, duplicate ROI names, goldens that exist,
/// ROIs inside their golden), inline ROIs, and the grid's parameter section.</summary>
public sealed class RoiFanOutOptions : IBoundedFanOut, IValidatedOptions
{
    /// <summary>The product's and the inline ROIs (roi.check's "auto" is min(ROIs, cores)); unknown with a tile grid,
    /// or while the product file cannot be read (starting the stage then says why).</summary>
    public int? MostChildren()
    {
        if (Tile > 0) return null;
        try { return Rois.Length + (Product.Length > 0 ? ProductLoader.Load(Product).Rois.Length : 0); }
        catch (JobInvalidException) { return null; }
    }

    /// <summary>Product definition file (config/products/NAME.yaml): golden image and ROIs.</summary>
    [Option("Product definition file (config/products/NAME.yaml): golden image and ROIs.", IsPath = true)]
    public string Product { get; init; } = "";

    /// <summary>ROIs written in the job itself (instead of, or besides, the product's).</summary>
    [Option("ROIs written in the job itself (instead of, or besides, the product's).")]
    public RoiSpec[] Rois { get; init; } = [];

    /// <summary>Golden image for the inline ROIs. Default: the image's own reference (deeppcb.pairs).</summary>
    [Option("Golden image for the inline ROIs. Default: the image's own reference (deeppcb.pairs).", IsPath = true)]
    public string Golden { get; init; } = "";

    /// <summary>Cut every image into a grid of square ROIs of this many pixels (0: no grid); the last row and column are narrower when the size does not divide the image.</summary>
    [Option("Cut every image into a grid of square ROIs of this many pixels (0: no grid); the last row and column are narrower when the size does not divide the image.", Min = 0, Max = 65536)]
    public int Tile { get; init; }

    /// <summary>The check run on every grid tile; its parameters go in the section of the same name.</summary>
    [Option("The check run on every grid tile; its parameters go in the section of the same name.")]
    public CheckKind Check { get; init; } = CheckKind.Diff;

    /// <summary>Parameters of the grid tiles' template check.</summary>
    [Option("Parameters of the grid tiles' template check.")]
    public TemplateOptions Template { get; init; } = new();

    /// <summary>Parameters of the grid tiles' diff check.</summary>
    [Option("Parameters of the grid tiles' diff check.")]
    public DiffOptions Diff { get; init; } = new();

    /// <summary>Parameters of the grid tiles' intensity check.</summary>
    [Option("Parameters of the grid tiles' intensity check.")]
    public IntensityOptions Intensity { get; init; } = new();

    /// <summary>Parameters of the grid tiles' edges check.</summary>
    [Option("Parameters of the grid tiles' edges check.")]
    public EdgesOptions Edges { get; init; } = new();

    /// <summary>Register each image against its golden within this many pixels before the diff checks of the inline ROIs and grid (0: off; a product sets its own).</summary>
    [Option("Register each image against its golden within this many pixels before the diff checks of the inline ROIs and grid (0: off; a product sets its own).", Min = 0, Max = 1024)]
    public int Register { get; init; }

    /// <inheritdoc />
    public void Validate(OptionsCheck check)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (Product.Length > 0)
        {
            // The product file's own problems keep their own place (FILE:LINE:COL in the product), after the key naming it.
            var (product, problems) = ProductLoader.Read(Product);
            foreach (var d in problems) check.Error("product", $"in the product: {d}");
            if (product is not null) names.UnionWith(product.Rois.Select(r => r.Name));
        }
        if (Rois.FirstOrDefault(r => !names.Add(r.Name)) is { } twice)
            check.Error("rois", $"ROI name '{twice.Name}' is used twice (in the product and the job's rois together)");
        if (Golden.Length > 0) GoldenFile.Check(check, "golden", Golden);
        if (Tile > 0) Sections.CheckOnlyOwn(check, Check);
        if (Tile == 0 && Rois.Length == 0 && Product.Length == 0) check.Error("no ROIs: give a product, inline rois, or a tile size");
    }
}

/// <summary>Splits an image into its ROIs: small descriptors that point at the parent's shared pixels.</summary>
[Stage("roi.fanout", "Splits each image into ROIs: those of a product file, inline rois, and/or a tile grid. Children carry descriptors only; the pixels stay with the parent.")]
public sealed class RoiFanOutStage : FanOutStage<LoadedImage, RoiTask, RoiFanOutOptions>
{
    private IReadOnlyList<RoiPlan> _fixed = [];

    /// <summary>The fixed ROIs (product and inline), known once the stage has started.</summary>
    public IReadOnlyList<RoiPlan> FixedRois => _fixed;

    /// <inheritdoc />
    public override async ValueTask StartAsync(CancellationToken ct)
    {
        var plans = new List<RoiPlan>();
        if (Options.Product.Length > 0) plans.AddRange(ProductLoader.Plan(ProductLoader.Load(Options.Product)));
        plans.AddRange(ProductLoader.Plan(Options.Rois, Options.Golden, Options.Register));
        if (ProductLoader.Problem(plans) is { } problem) throw new InspectionException(problem);
        if (plans.Count == 0 && Options.Tile == 0)
            throw new InspectionException("no ROIs: give a product, inline rois, or a tile size");
        _fixed = plans;
        // image.load (which starts after this stage) refuses an image of another size than these goldens before decoding it.
        var expected = await Context.Services.GetOrCreateAsync(nameof(GoldenSize), _ => Task.FromResult(new GoldenSize()), ct).ConfigureAwait(false);
        expected.Learn(plans.Select(p => p.Golden).Append(Options.Golden.Length > 0 ? Options.Golden : null));
    }

    /// <inheritdoc />
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
            var parameters = Sections.Of(Options.Check, Options.Template, Options.Diff, Options.Intensity, Options.Edges);
            var grid = tiles.Select((t, i) => new RoiPlan($"tile_r{i / columns:D2}c{i % columns:D2}", t, Options.Check, parameters,
                Options.Golden.Length > 0 ? Options.Golden : null, Options.Register));
            plans = plans.Concat(grid).ToList();
        }
        return plans.Select((p, i) => new RoiTask(item, p, i)).ToList();
    }
}

/// <summary>The size every image of the run must have, when all the goldens its ROIs compare with agree on one
/// (read from their headers): image.load refuses another size before decoding.</summary>
public sealed class GoldenSize
{
    /// <summary>The goldens' common size, or null (no golden, goldens of several sizes, or unreadable ones).</summary>
    public (int Width, int Height, string Golden)? Size { get; private set; }

    internal void Learn(IEnumerable<string?> goldens)
    {
        var sizes = new List<(int, int, string)>();
        foreach (var path in goldens.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            try { var h = Image.ReadHeader(path); sizes.Add((h.Width, h.Height, path)); }
            catch (VisionException) { return; } // the ROIs that use it say why
        }
        Size = sizes.Count > 0 && sizes.All(s => s.Item1 == sizes[0].Item1 && s.Item2 == sizes[0].Item2) ? sizes[0] : null;
    }
}

/// <summary>A problem with the inspection's configuration or input, told in one line.</summary>
public sealed class InspectionException(string message) : Exception(message);
