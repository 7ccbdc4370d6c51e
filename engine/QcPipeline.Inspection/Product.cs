using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using QcPipeline.Vision;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace QcPipeline.Inspection;

/// <summary>One region of interest: where it is, what checks it, against which golden image.</summary>
public sealed class RoiSpec
{
    [Option("The ROI's name (unique within the product); results and annotations use it.", Required = true)]
    public string Name { get; init; } = "";

    [Option("Left edge in image pixels.", Min = 0)]
    public int X { get; init; }

    [Option("Top edge in image pixels.", Min = 0)]
    public int Y { get; init; }

    [Option("Width in pixels.", Min = 1, Required = true)]
    public int W { get; init; }

    [Option("Height in pixels.", Min = 1, Required = true)]
    public int H { get; init; }

    [Option("The check: template (find the golden crop), diff (defect blobs against the golden crop), intensity (mean/std ranges), edges (edge density: part present or absent).",
        Required = true, Allowed = ["template", "diff", "intensity", "edges"])]
    public string Check { get; init; } = "";

    [Option("The check's parameters (only the keys of this ROI's check).")]
    public CheckParameters Params { get; init; } = new();

    [Option("Golden image for this ROI (relative to the file that names it). Default: the product's golden, or the image's own reference (DeepPCB template).", IsPath = true)]
    public string Golden { get; init; } = "";

    public PixelBox Box => new(X, Y, W, H);
}

/// <summary>A product definition file (config/products/NAME.yaml): its golden image and ROIs.</summary>
public sealed class ProductDefinition
{
    [Option("The product's name.", Required = true)]
    public string Product { get; init; } = "";

    [Option("What the product is.")]
    public string Description { get; init; } = "";

    [Option("Golden (defect-free) image of the product, relative to this file.", IsPath = true)]
    public string Golden { get; init; } = "";

    [Option("Register each image against its golden image within this many pixels before the diff checks (0: off).", Min = 0, Max = 1024)]
    public int Register { get; init; }

    [Option("The regions of interest.", Required = true)]
    public RoiSpec[] Rois { get; init; } = [];
}

/// <summary>A ROI ready to run: its spec resolved against the product (golden path made absolute).</summary>
public sealed record RoiPlan(string Name, PixelBox Box, string Check, CheckParameters Params, string? Golden, int Register);

/// <summary>Reads product files with the job loader's binder, so a mistake is reported as FILE:LINE:COL.</summary>
public static class ProductLoader
{
    /// <exception cref="JobInvalidException">The file is missing or holds mistakes (all of them, located).</exception>
    public static ProductDefinition Load(string path)
    {
        var full = Path.GetFullPath(path);
        var display = Path.GetRelativePath(Environment.CurrentDirectory, full);
        if (display.StartsWith("..", StringComparison.Ordinal)) display = full;
        if (!File.Exists(full))
            throw new JobInvalidException([new Diagnostic(SourceLocation.Of(display), "no such product file")]);
        var diags = new DiagnosticBag();
        var ctx = new BindContext(display, Path.GetDirectoryName(full)!, diags);
        var stream = new YamlStream();
        try { stream.Load(new StringReader(File.ReadAllText(full))); }
        catch (YamlException e)
        {
            throw new JobInvalidException([new Diagnostic(SourceLocation.At(display, e.Start), "YAML: " + (e.InnerException ?? e).Message.Split('\n')[0])]);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new JobInvalidException([new Diagnostic(new SourceLocation(display, 1, 1), "a product file is a mapping with product:, golden: and rois:")]);
        var product = OptionBinder.Bind<ProductDefinition>(root, ctx, "the product");
        if (root.Children.TryGetValue(new YamlScalarNode("rois"), out var rois)) CheckRois(rois, ctx);
        if (diags.HasErrors) throw new JobInvalidException(diags.Sorted().ToList());
        return product;
    }

    /// <summary>What the binder cannot see: duplicate names, and parameter keys that the ROI's check does not read.</summary>
    public static void CheckRois(YamlNode rois, BindContext ctx)
    {
        if (rois is not YamlSequenceNode list) return;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list.Children.OfType<YamlMappingNode>())
        {
            string? Scalar(string key) => item.Children.TryGetValue(new YamlScalarNode(key), out var v) ? (v as YamlScalarNode)?.Value : null;
            if (Scalar("name") is { } name && !names.Add(name)) ctx.Error(item, $"ROI name '{name}' is used twice");
            if (Scalar("check") is not { } check || !CheckParameters.KeysByCheck.TryGetValue(check, out var allowed)) continue;
            if (!item.Children.TryGetValue(new YamlScalarNode("params"), out var ps) || ps is not YamlMappingNode map) continue;
            foreach (var key in map.Children.Keys.OfType<YamlScalarNode>())
                if (key.Value is { } k && !allowed.Contains(k))
                    ctx.Error(key, $"'{k}' is not a parameter of the {check} check (its parameters: {string.Join(", ", allowed)})");
        }
    }

    /// <summary>The product's ROIs as plans.</summary>
    public static IReadOnlyList<RoiPlan> Plan(ProductDefinition product) =>
        Plan(product.Rois, product.Golden, product.Register);

    public static IReadOnlyList<RoiPlan> Plan(IEnumerable<RoiSpec> rois, string golden, int register) =>
        rois.Select(r => new RoiPlan(r.Name, r.Box, r.Check, r.Params,
            r.Golden.Length > 0 ? r.Golden : golden.Length > 0 ? golden : null, register)).ToList();
}
