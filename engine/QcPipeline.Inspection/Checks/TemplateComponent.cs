using QcPipeline.Core.Options;
using QcPipeline.Vision.Checks;

namespace QcPipeline.Inspection.Checks;

/// <summary>Parameters of the template check (defaults from <see cref="TemplateParameters"/>).</summary>
public sealed class TemplateOptions
{
    private static readonly TemplateParameters D = new();

    /// <summary>How far (pixels, each side) the golden crop may have moved in the test image.</summary>
    [Option("How far (pixels, each side) the golden crop may have moved in the test image.", Min = 0, Max = 4096)]
    public int SearchMargin { get; init; } = D.SearchMargin;

    /// <summary>Lowest normalised correlation (-1..1) that passes.</summary>
    [Option("Lowest normalised correlation (-1..1) that passes.", Min = -1, Max = 1)]
    public double MinScore { get; init; } = D.MinScore;
}

/// <summary>template: find the golden crop in the test image.</summary>
public sealed class TemplateComponent : CheckComponent<TemplateOptions>
{
    /// <inheritdoc />
    public override CheckKind Kind => CheckKind.Template;

    /// <inheritdoc />
    public override bool NeedsGolden => true;

    /// <inheritdoc />
    protected override IRoiCheck Create(TemplateOptions o, int offsetX, int offsetY) =>
        new TemplateCheck(new TemplateParameters { SearchMargin = o.SearchMargin, MinScore = o.MinScore });
}
