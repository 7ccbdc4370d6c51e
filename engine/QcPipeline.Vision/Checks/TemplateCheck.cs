using System.Globalization;
using QcPipeline.Vision.Interop;

namespace QcPipeline.Vision.Checks;

/// <summary>Parameters of <see cref="TemplateCheck"/>.</summary>
public sealed record TemplateParameters
{
    /// <summary>How far (pixels, each side) the golden crop may have moved in the test image. Default 16.</summary>
    public int SearchMargin { get; init; } = 16;

    /// <summary>Lowest normalised correlation (-1..1) that passes. Default 0.8.</summary>
    public double MinScore { get; init; } = 0.8;
}

/// <summary>Finds the golden ROI in the test image by normalised cross-correlation
/// (TM_CCOEFF_NORMED) within a search margin. Score = best correlation; measures dx, dy = where
/// the best match lies relative to the ROI.</summary>
public sealed class TemplateCheck(TemplateParameters parameters) : IRoiCheck
{
    /// <summary>The check's parameters.</summary>
    public TemplateParameters Parameters { get; } = parameters;

    /// <inheritdoc />
    public string Kind => "template";

    /// <inheritdoc />
    public CheckResult Run(Image test, Image golden, PixelBox roi)
    {
        Native.Check(NativeMethods.qcv_check_template(test.Handle, golden.Handle, roi, Parameters.SearchMargin, out var r),
            $"template check of {test.Source} at ROI {roi}");
        var passed = r.Score >= Parameters.MinScore;
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"best correlation {r.Score:F3} at offset ({r.Dx}, {r.Dy}) {(passed ? ">=" : "<")} min_score {Parameters.MinScore:F3}");
        var defects = passed ? Array.Empty<PixelBox>() : [roi];
        return new CheckResult(Kind, passed ? CheckStatus.Pass : CheckStatus.Fail, r.Score, reason, defects,
            new Dictionary<string, double> { ["dx"] = r.Dx, ["dy"] = r.Dy });
    }
}
