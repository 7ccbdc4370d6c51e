using QcPipeline.Core.Options;
using QcPipeline.Inspection.Checks;
using QcPipeline.Vision;
using QcPipeline.Vision.Checks;

namespace QcPipeline.Inspection;

/// <summary>One region of interest: where it is, what checks it (with that check's parameters), against which golden image.</summary>
public sealed class RoiSpec : IValidatedOptions
{
    /// <summary>The ROI's name (unique within the product); results and annotations use it.</summary>
    [Option("The ROI's name (unique within the product); results and annotations use it.", Required = true)]
    public string Name { get; init; } = "";

    /// <summary>Left edge in image pixels.</summary>
    [Option("Left edge in image pixels.", Min = 0)]
    public int X { get; init; }

    /// <summary>Top edge in image pixels.</summary>
    [Option("Top edge in image pixels.", Min = 0)]
    public int Y { get; init; }

    /// <summary>Width in pixels.</summary>
    [Option("Width in pixels.", Min = 1, Required = true)]
    public int W { get; init; }

    /// <summary>Height in pixels.</summary>
    [Option("Height in pixels.", Min = 1, Required = true)]
    public int H { get; init; }

    /// <summary>The check: template (find the golden crop), diff (typed defects against the golden crop), intensity (mean/std ranges), edges (edge density: part present or absent). Its parameters go in the section of the same name.</summary>
    [Option("The check: template (find the golden crop), diff (typed defects against the golden crop), intensity (mean/std ranges), edges (edge density: part present or absent). Its parameters go in the section of the same name.",
        Required = true)]
    public CheckKind Check { get; init; }

    /// <summary>Parameters of the template check (only with check: template).</summary>
    [Option("Parameters of the template check (only with check: template).")]
    public TemplateOptions Template { get; init; } = new();

    /// <summary>Parameters of the diff check (only with check: diff).</summary>
    [Option("Parameters of the diff check (only with check: diff).")]
    public DiffOptions Diff { get; init; } = new();

    /// <summary>Parameters of the intensity check (only with check: intensity).</summary>
    [Option("Parameters of the intensity check (only with check: intensity).")]
    public IntensityOptions Intensity { get; init; } = new();

    /// <summary>Parameters of the edges check (only with check: edges).</summary>
    [Option("Parameters of the edges check (only with check: edges).")]
    public EdgesOptions Edges { get; init; } = new();

    /// <summary>Golden image for this ROI (relative to the file that names it). Default: the product's golden, or the image's own reference (DeepPCB template).</summary>
    [Option("Golden image for this ROI (relative to the file that names it). Default: the product's golden, or the image's own reference (DeepPCB template).", IsPath = true)]
    public string Golden { get; init; } = "";

    /// <summary>The ROI's rectangle in image pixels.</summary>
    public PixelBox Box => new(X, Y, W, H);

    /// <summary>The parameters of this ROI's check.</summary>
    public object Parameters => Sections.Of(Check, Template, Diff, Intensity, Edges);

    /// <summary>Only the section of its own check, and a golden that exists.</summary>
    public void Validate(OptionsCheck check)
    {
        Sections.CheckOnlyOwn(check, Check);
        if (Golden.Length > 0) GoldenFile.Check(check, "golden", Golden);
    }
}

/// <summary>Picks the parameter section of a check kind.</summary>
internal static class Sections
{
    /// <summary>Reports a parameter section given for another check than <paramref name="kind"/>.</summary>
    public static void CheckOnlyOwn(OptionsCheck check, CheckKind kind)
    {
        var own = CheckKinds.Get(kind).Section;
        foreach (var other in CheckKinds.Components.Select(c => c.Section).Where(s => s != own && check.IsSet(s)))
            check.Error(other, $"'{other}:' holds parameters of the {other} check, but the check is {own} (its parameters go under '{own}:')");
    }

    public static object Of(CheckKind kind, TemplateOptions t, DiffOptions d, IntensityOptions i, EdgesOptions e) => kind switch
    {
        CheckKind.Template => t,
        CheckKind.Diff => d,
        CheckKind.Intensity => i,
        _ => e,
    };
}

/// <summary>A product definition file (config/products/NAME.yaml): its golden image and ROIs.</summary>
public sealed class ProductDefinition : IValidatedOptions
{
    /// <summary>The product's name.</summary>
    [Option("The product's name.", Required = true)]
    public string Product { get; init; } = "";

    /// <summary>What the product is.</summary>
    [Option("What the product is.")]
    public string Description { get; init; } = "";

    /// <summary>Golden (defect-free) image of the product, relative to this file.</summary>
    [Option("Golden (defect-free) image of the product, relative to this file.", IsPath = true)]
    public string Golden { get; init; } = "";

    /// <summary>Register each image against its golden image within this many pixels before the diff checks (0: off).</summary>
    [Option("Register each image against its golden image within this many pixels before the diff checks (0: off).", Min = 0, Max = 1024)]
    public int Register { get; init; }

    /// <summary>The regions of interest.</summary>
    [Option("The regions of interest.", Required = true)]
    public RoiSpec[] Rois { get; init; } = [];

    /// <summary>A golden that exists and is an image, and every ROI inside it.</summary>
    public void Validate(OptionsCheck check)
    {
        if (Golden.Length == 0 || GoldenFile.Check(check, "golden", Golden) is not { } size) return;
        foreach (var r in Rois.Where(r => r.Golden.Length == 0 && (r.X + (long)r.W > size.Width || r.Y + (long)r.H > size.Height)))
            check.Error("rois", $"ROI '{r.Name}' (x={r.X} y={r.Y} w={r.W} h={r.H}) is not inside the {size.Width}x{size.Height} golden image");
    }
}

/// <summary>Checks a golden image file named by an option: it exists and its header gives its size.</summary>
internal static class GoldenFile
{
    public static ImageHeader? Check(OptionsCheck check, string key, string path)
    {
        if (!File.Exists(path)) { check.Error(key, $"golden image {path} does not exist"); return null; }
        try { return Image.ReadHeader(path); }
        catch (VisionException e) { check.Error(key, $"golden image: {e.Message}"); return null; }
    }
}

/// <summary>A ROI ready to run: its spec resolved against the product (golden path made absolute).</summary>
public sealed record RoiPlan(string Name, PixelBox Box, CheckKind Check, object Parameters, string? Golden, int Register)
{
    /// <summary>The check's component.</summary>
    public CheckComponent Component => CheckKinds.Get(Check);

    /// <summary>The Vision check, given the whole-image offset of the test against its golden.</summary>
    public IRoiCheck Create(int offsetX = 0, int offsetY = 0) => Component.Create(Parameters, offsetX, offsetY);
}
