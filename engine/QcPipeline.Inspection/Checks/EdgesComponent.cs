using QcPipeline.Core.Options;
using QcPipeline.Vision.Checks;

namespace QcPipeline.Inspection.Checks;

/// <summary>Parameters of the edges check.</summary>
public sealed class EdgesOptions
{
    private static readonly EdgesParameters D = new();

    /// <summary>Odd Gaussian kernel applied before edge detection (0 or 1: none).</summary>
    [Option("Odd Gaussian kernel applied before edge detection (0 or 1: none).", Min = 0, Max = 99)]
    public int BlurKernel { get; init; } = D.BlurKernel;

    /// <summary>Canny lower hysteresis threshold.</summary>
    [Option("Canny lower hysteresis threshold.", Min = 0)]
    public double LowThreshold { get; init; } = D.LowThreshold;

    /// <summary>Canny upper hysteresis threshold.</summary>
    [Option("Canny upper hysteresis threshold.", Min = 0)]
    public double HighThreshold { get; init; } = D.HighThreshold;

    /// <summary>Lowest acceptable share of edge pixels (0..1); above 0 checks that a part is present.</summary>
    [Option("Lowest acceptable share of edge pixels (0..1); above 0 checks that a part is present.", Min = 0, Max = 1)]
    public double MinDensity { get; init; } = D.MinDensity;

    /// <summary>Highest acceptable share of edge pixels; a small value checks that an area is empty.</summary>
    [Option("Highest acceptable share of edge pixels; a small value checks that an area is empty.", Min = 0, Max = 1)]
    public double MaxDensity { get; init; } = D.MaxDensity;
}

/// <summary>edges: edge density within a range (reads the test image only).</summary>
public sealed class EdgesComponent : CheckComponent<EdgesOptions>
{
    /// <inheritdoc />
    public override CheckKind Kind => CheckKind.Edges;

    /// <inheritdoc />
    public override bool NeedsGolden => false;

    /// <inheritdoc />
    protected override IRoiCheck Create(EdgesOptions o, int offsetX, int offsetY) => new EdgesCheck(new EdgesParameters
    {
        BlurKernel = o.BlurKernel, LowThreshold = o.LowThreshold, HighThreshold = o.HighThreshold, MinDensity = o.MinDensity, MaxDensity = o.MaxDensity,
    });
}
