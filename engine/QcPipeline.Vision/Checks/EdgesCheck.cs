using System.Globalization;
using QcPipeline.Vision.Interop;

namespace QcPipeline.Vision.Checks;

/// <summary>Parameters of <see cref="EdgesCheck"/>.</summary>
public sealed record EdgesParameters
{
    /// <summary>Odd Gaussian kernel before Canny, against sensor noise. Default 3; 0 or 1 = none.</summary>
    public int BlurKernel { get; init; } = 3;

    /// <summary>Canny lower hysteresis threshold (gradient magnitude). Default 50.</summary>
    public double LowThreshold { get; init; } = 50;

    /// <summary>Canny upper hysteresis threshold. Default 150.</summary>
    public double HighThreshold { get; init; } = 150;

    /// <summary>Lowest acceptable fraction of edge pixels (0..1). Default 0.01: a part is present.</summary>
    public double MinDensity { get; init; } = 0.01;

    /// <summary>Highest acceptable fraction of edge pixels. Default 1. Set MinDensity 0 and a
    /// small MaxDensity to check that an area is empty.</summary>
    public double MaxDensity { get; init; } = 1;
}

/// <summary>Canny edge density of the test ROI within a range: presence or absence of a part
/// (the golden image is not used). Score = density (edge pixels / ROI pixels).</summary>
public sealed class EdgesCheck(EdgesParameters parameters) : IRoiCheck
{
    /// <summary>The check's parameters.</summary>
    public EdgesParameters Parameters { get; } = parameters;

    /// <inheritdoc />
    public string Kind => "edges";

    /// <inheritdoc />
    public CheckResult Run(Image test, Image golden, PixelBox roi)
    {
        var p = Parameters;
        Native.Check(NativeMethods.qcv_check_edges(test.Handle, roi, p.BlurKernel, p.LowThreshold, p.HighThreshold, out var density),
            $"edges check of {test.Source} at ROI {roi}");
        var passed = density >= p.MinDensity && density <= p.MaxDensity;
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"edge density {density:F4} {(passed ? "within" : "outside")} [{p.MinDensity}, {p.MaxDensity}]");
        return new CheckResult(Kind, passed ? CheckStatus.Pass : CheckStatus.Fail, density, reason,
            passed ? [] : [roi], new Dictionary<string, double> { ["density"] = density });
    }
}
