using System.Globalization;
using OpenCvSharp;

using QcPipeline.Vision.Defects;

namespace QcPipeline.Vision.Checks;

/// <summary>Parameters of <see cref="TemplateCheck"/>.</summary>
public sealed record TemplateParameters
{
    /// <summary>How far (pixels, each side) the golden crop may have moved in the test image. Default 16.</summary>
    public int SearchMargin { get; init; } = 16;

    /// <summary>Lowest normalised correlation (-1..1) that passes. Default 0.8.</summary>
    public double MinScore { get; init; } = 0.8;
}

/// <summary>Finds the golden ROI in the test image by normalised cross-correlation (TM_CCOEFF_NORMED) within a
/// search margin. Score = best correlation; measures dx, dy = where the best match lies relative to the ROI.</summary>
public sealed class TemplateCheck(TemplateParameters parameters) : IRoiCheck
{
    /// <summary>The check's parameters.</summary>
    public TemplateParameters Parameters { get; } = parameters;

    /// <inheritdoc />
    public CheckKind Kind => CheckKind.Template;

    /// <inheritdoc />
    public CheckResult Run(Image test, Image golden, PixelBox roi)
    {
        var what = $"template check of {test.Source} at ROI {roi}";
        Alignment.SameSize(test, golden);
        var r = test.Inside(roi, $"{what}: ROI");
        if (Parameters.SearchMargin is < 0 or > 4096) throw Image.Argument($"{what}: search_margin must be 0..4096");
        var (score, dx, dy) = Cv.Run(what, () =>
        {
            using var gg = Grey.Of(golden.Mat);
            using var tg = Grey.Of(test.Mat);
            using var templ = new Mat(gg.Mat, r);
            Cv2.MeanStdDev(templ, out _, out var std);
            if (std.Val0 < 1e-6)
                throw Image.Argument($"{what}: golden ROI is uniform (no texture), so correlation is undefined; use the intensity or diff check");
            var search = Alignment.Grown(r, Parameters.SearchMargin, test.Width, test.Height);
            using var area = new Mat(tg.Mat, search);
            using var scores = new Mat();
            Cv2.MatchTemplate(area, templ, scores, TemplateMatchModes.CCoeffNormed);
            Cv2.MinMaxLoc(scores, out _, out var best, out _, out var at);
            // A uniform test area gives NaN/inf correlation: report it as no match at all.
            return (double.IsFinite(best) ? best : -1.0, search.X + at.X - r.X, search.Y + at.Y - r.Y);
        });
        var passed = score >= Parameters.MinScore;
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"best correlation {score:F3} at offset ({dx}, {dy}) {(passed ? ">=" : "<")} min_score {Parameters.MinScore:F3}");
        return new CheckResult(Kind, passed ? CheckStatus.Pass : CheckStatus.Fail, score, reason,
            passed ? [] : [Defect.Region(roi)], new Dictionary<string, double> { ["dx"] = dx, ["dy"] = dy });
    }
}
