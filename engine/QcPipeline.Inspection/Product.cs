using QcPipeline.Core.Options;
using QcPipeline.Inspection.Checks;
using QcPipeline.Vision;
using QcPipeline.Vision.Checks;

namespace QcPipeline.Inspection;

/// <summary>One region of interest: where it is, what checks it (with that check's parameters), against which golden image.</summary>
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

    [Option("The check: template (find the golden crop), diff (typed defects against the golden crop), intensity (mean/std ranges), edges (edge density: part present or absent). Its parameters go in the section of the same name.",
        Required = true)]
    public CheckKind Check { get; init; }

    [Option("Parameters of the template check (only with check: template).")]
    public TemplateOptions Template { get; init; } = new();

    [Option("Parameters of the diff check (only with check: diff).")]
    public DiffOptions Diff { get; init; } = new();

    [Option("Parameters of the intensity check (only with check: intensity).")]
    public IntensityOptions Intensity { get; init; } = new();

    [Option("Parameters of the edges check (only with check: edges).")]
    public EdgesOptions Edges { get; init; } = new();

    [Option("Golden image for this ROI (relative to the file that names it). Default: the product's golden, or the image's own reference (DeepPCB template).", IsPath = true)]
    public string Golden { get; init; } = "";

    public PixelBox Box => new(X, Y, W, H);

    /// <summary>The parameters of this ROI's check.</summary>
    public object Parameters => Sections.Of(Check, Template, Diff, Intensity, Edges);
}

/// <summary>Picks the parameter section of a check kind.</summary>
internal static class Sections
{
    public static object Of(CheckKind kind, TemplateOptions t, DiffOptions d, IntensityOptions i, EdgesOptions e) => kind switch
    {
        CheckKind.Template => t,
        CheckKind.Diff => d,
        CheckKind.Intensity => i,
        _ => e,
    };
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
public sealed record RoiPlan(string Name, PixelBox Box, CheckKind Check, object Parameters, string? Golden, int Register)
{
    /// <summary>The check's component.</summary>
    public CheckComponent Component => CheckKinds.Get(Check);

    /// <summary>The Vision check, given the whole-image offset of the test against its golden.</summary>
    public IRoiCheck Create(int offsetX = 0, int offsetY = 0) => Component.Create(Parameters, offsetX, offsetY);
}
