using System.Globalization;
using OpenCvSharp;

using QcPipeline.Vision.Defects;

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

    /// <summary>Highest acceptable fraction of edge pixels. Default 1. Set MinDensity 0 and a small MaxDensity to
    /// check that an area is empty.</summary>
    public double MaxDensity { get; init; } = 1;
}

/// <summary>Canny edge density of the test ROI within a range: presence or absence of a part (the golden image is
/// not used). Score = density (edge pixels / ROI pixels).</summary>
public sealed class EdgesCheck(EdgesParameters parameters) : IRoiCheck
{
    /// <summary>The check's parameters.</summary>
    public EdgesParameters Parameters { get; } = parameters;

    /// <inheritdoc />
    public CheckKind Kind => CheckKind.Edges;

    /// <inheritdoc />
    public CheckResult Run(Image test, Image golden, PixelBox roi)
    {
        var p = Parameters;
        var what = $"edges check of {test.Source} at ROI {roi}";
        var r = test.Inside(roi, $"{what}: ROI");
        var blur = Kernels.Odd(p.BlurKernel, "blur_kernel", what);
        if (!(p.LowThreshold >= 0 && p.HighThreshold >= p.LowThreshold)) throw Image.Argument($"{what}: Canny thresholds need 0 <= low <= high");
        var density = Cv.Run(what, () =>
        {
            using var crop = new Mat(test.Mat, r);
            using var grey = Grey.Of(crop);
            using var smooth = new Mat();
            using var edges = new Mat();
            if (blur > 1) Cv2.GaussianBlur(grey.Mat, smooth, new Size(blur, blur), 0);
            Cv2.Canny(blur > 1 ? smooth : grey.Mat, edges, p.LowThreshold, p.HighThreshold);
            return (double)Cv2.CountNonZero(edges) / ((double)r.Width * r.Height);
        });
        var passed = density >= p.MinDensity && density <= p.MaxDensity;
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"edge density {density:F4} {(passed ? "within" : "outside")} [{p.MinDensity}, {p.MaxDensity}]");
        return new CheckResult(Kind, passed ? CheckStatus.Pass : CheckStatus.Fail, density, reason,
            passed ? [] : [Defect.Region(roi)], new Dictionary<string, double> { ["density"] = density });
    }
}

internal static class Kernels
{
    /// <summary>0 or 1 (none) or an odd size up to 99.</summary>
    public static int Odd(int k, string name, string what)
    {
        if (k is < 0 or > 99) throw Image.Argument($"{what}: {name} must be 0..99");
        if (k > 1 && k % 2 == 0) throw Image.Argument($"{what}: {name} must be odd");
        return k;
    }
}
