using QcPipeline.Core.Options;
using QcPipeline.Vision.Checks;

namespace QcPipeline.Inspection.Checks;

/// <summary>Parameters of the intensity check: inclusive ranges applied to every channel.</summary>
public sealed class IntensityOptions
{
    private static readonly IntensityParameters D = new();

    /// <summary>Lowest acceptable mean grey level of every channel.</summary>
    [Option("Lowest acceptable mean grey level of every channel.", Min = 0, Max = 255)]
    public double MeanMin { get; init; } = D.MeanMin;

    /// <summary>Highest acceptable mean grey level of every channel.</summary>
    [Option("Highest acceptable mean grey level of every channel.", Min = 0, Max = 255)]
    public double MeanMax { get; init; } = D.MeanMax;

    /// <summary>Lowest acceptable standard deviation of every channel.</summary>
    [Option("Lowest acceptable standard deviation of every channel.", Min = 0, Max = 255)]
    public double StdMin { get; init; } = D.StdMin;

    /// <summary>Highest acceptable standard deviation of every channel.</summary>
    [Option("Highest acceptable standard deviation of every channel.", Min = 0, Max = 255)]
    public double StdMax { get; init; } = D.StdMax;
}

/// <summary>intensity: mean and standard deviation within ranges (reads the test image only).</summary>
public sealed class IntensityComponent : CheckComponent<IntensityOptions>
{
    /// <inheritdoc />
    public override CheckKind Kind => CheckKind.Intensity;

    /// <inheritdoc />
    public override bool NeedsGolden => false;

    /// <inheritdoc />
    protected override IRoiCheck Create(IntensityOptions o, int offsetX, int offsetY) =>
        new IntensityCheck(new IntensityParameters { MeanMin = o.MeanMin, MeanMax = o.MeanMax, StdMin = o.StdMin, StdMax = o.StdMax });
}
