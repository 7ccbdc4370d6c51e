using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using QcPipeline.Inspection.Checks;
using YamlDotNet.RepresentationModel;

namespace QcPipeline.Inspection;

/// <summary>Reads product files with the job loader's binder, so a mistake is reported as FILE:LINE:COL.</summary>
public static class ProductLoader
{
    /// <summary>How messages name a product file.</summary>
    public static readonly YamlFileKind Kind = new("product file", "a product", "a product file is a mapping with product:, golden: and rois:");

    /// <exception cref="JobInvalidException">The file is missing or holds mistakes (all of them, located).</exception>
    public static ProductDefinition Load(string path)
    {
        var (product, diagnostics) = Read(path);
        if (diagnostics.Count > 0) throw new JobInvalidException(diagnostics);
        return product!;
    }

    /// <summary>The product and every problem found in its file (empty when it is valid), each located.</summary>
    public static (ProductDefinition? Product, IReadOnlyList<Diagnostic> Problems) Read(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) return (null, [new Diagnostic(SourceLocation.Of(DisplayName(full)), "no such product file")]);
        return Parse(File.ReadAllBytes(full), full);
    }

    /// <summary>As <see cref="Read"/>, for a product file's bytes as if they were the file at <paramref name="path"/>
    /// (its goldens are found beside it).</summary>
    public static (ProductDefinition? Product, IReadOnlyList<Diagnostic> Problems) Parse(byte[] bytes, string path)
    {
        var full = Path.GetFullPath(path);
        var display = DisplayName(full);
        var diags = new DiagnosticBag();
        var ctx = new BindContext(display, Path.GetDirectoryName(full)!, diags);
        // The job loader's defensive reading: UTF-8 only, nesting and alias expansion bounded, every YAML error placed.
        if (YamlReader.Decode(bytes, display, diags, Kind) is not { } text || YamlReader.ReadMapping(text, ctx, Kind) is not { } root)
            return (null, diags.Sorted().ToList());
        var product = OptionBinder.Bind<ProductDefinition>(root, ctx, "the product");
        if (root.Children.TryGetValue(new YamlScalarNode("rois"), out var rois)) CheckRois(rois, ctx);
        return (product, diags.HasErrors ? diags.Sorted().ToList() : []);
    }

    // Problems name the file as the user would: relative to the current folder when it is below it.
    private static string DisplayName(string full)
    {
        var display = Path.GetRelativePath(Environment.CurrentDirectory, full);
        return display.StartsWith("..", StringComparison.Ordinal) ? full : display;
    }

    /// <summary>What the binder and the sections' own checks cannot see: a ROI name used twice, at the second use.</summary>
    public static void CheckRois(YamlNode rois, BindContext ctx)
    {
        if (rois is not YamlSequenceNode list) return;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list.Children.OfType<YamlMappingNode>())
            if (item.Children.FirstOrDefault(c => (c.Key as YamlScalarNode)?.Value == "name").Value is YamlScalarNode { Value: { } name } node && !names.Add(name))
                ctx.Error(node, $"ROI name '{name}' is used twice");
    }

    /// <summary>The same checks for ROIs already bound (inline ROIs of a job): the first problem, or null.</summary>
    public static string? Problem(IEnumerable<RoiPlan> plans)
    {
        var twice = plans.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return twice is null ? null : $"ROI name '{twice.Key}' is used twice";
    }

    /// <summary>The product's ROIs as plans.</summary>
    public static IReadOnlyList<RoiPlan> Plan(ProductDefinition product) =>
        Plan(product.Rois, product.Golden, product.Register);

    /// <summary>ROIs as plans; a ROI without its own golden takes <paramref name="golden"/> (empty: the image's own reference).</summary>
    public static IReadOnlyList<RoiPlan> Plan(IEnumerable<RoiSpec> rois, string golden, int register) =>
        rois.Select(r => new RoiPlan(r.Name, r.Box, r.Check, r.Parameters,
            r.Golden.Length > 0 ? r.Golden : golden.Length > 0 ? golden : null, register)).ToList();
}
