using QcPipeline.Vision.Defects;

namespace QcPipeline.Vision.Checks;

/// <summary>The kinds of ROI check.</summary>
public enum CheckKind
{
    /// <summary>Find the golden crop in the test image (normalised correlation).</summary>
    Template,
    /// <summary>Defects against the golden crop: changed pixels, each blob typed.</summary>
    Diff,
    /// <summary>Mean and standard deviation within ranges.</summary>
    Intensity,
    /// <summary>Edge density within a range: a part present or absent.</summary>
    Edges,
}

/// <summary>Outcome of one check on one ROI.</summary>
public enum CheckStatus
{
    /// <summary>The ROI meets the check's criteria.</summary>
    Pass,
    /// <summary>The ROI does not; <see cref="CheckResult.Reason"/> says why.</summary>
    Fail,
}

/// <summary>The result of a check on one ROI.</summary>
/// <param name="Check">The check kind.</param>
/// <param name="Status">Pass or fail.</param>
/// <param name="Score">The check's main number (see each check for its meaning).</param>
/// <param name="Reason">One line explaining the status.</param>
/// <param name="Defects">Defects in test-image pixels (empty when none).</param>
/// <param name="Measures">Further named numbers (offsets, per-channel values, ...).</param>
public sealed record CheckResult(
    CheckKind Check,
    CheckStatus Status,
    double Score,
    string Reason,
    IReadOnlyList<Defect> Defects,
    IReadOnlyDictionary<string, double> Measures)
{
    /// <summary>True when the status is <see cref="CheckStatus.Pass"/>.</summary>
    public bool Passed => Status == CheckStatus.Pass;
}

/// <summary>A pure check over one ROI of a test image and the same ROI of its golden image (both whole images of
/// the same size). Safe to call from several threads at once.</summary>
public interface IRoiCheck
{
    /// <summary>The check kind.</summary>
    CheckKind Kind { get; }

    /// <summary>Runs the check.</summary>
    /// <exception cref="VisionException">Bad input: ROI outside the image, golden of another size, ...</exception>
    CheckResult Run(Image test, Image golden, PixelBox roi);
}
