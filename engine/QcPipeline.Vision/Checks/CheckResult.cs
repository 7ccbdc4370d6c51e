namespace QcPipeline.Vision.Checks;

/// <summary>Outcome of one check on one ROI.</summary>
public enum CheckStatus
{
    /// <summary>The ROI meets the check's criteria.</summary>
    Pass,
    /// <summary>The ROI does not; <see cref="CheckResult.Reason"/> says why.</summary>
    Fail,
}

/// <summary>The result of a check on one ROI.</summary>
/// <param name="Check">The check kind ("template", "diff", "intensity", "edges").</param>
/// <param name="Status">Pass or fail.</param>
/// <param name="Score">The check's main number (see each check for its meaning).</param>
/// <param name="Reason">One line explaining the status.</param>
/// <param name="Defects">Defect boxes in test-image pixels (empty when none or not applicable).</param>
/// <param name="Measures">Further named numbers (offsets, per-channel values, ...).</param>
public sealed record CheckResult(
    string Check,
    CheckStatus Status,
    double Score,
    string Reason,
    IReadOnlyList<PixelBox> Defects,
    IReadOnlyDictionary<string, double> Measures)
{
    /// <summary>True when the status is <see cref="CheckStatus.Pass"/>.</summary>
    public bool Passed => Status == CheckStatus.Pass;
}

/// <summary>A pure check over one ROI of a test image and the same ROI of its golden image
/// (both whole images of the same size). Safe to call from several threads at once.</summary>
public interface IRoiCheck
{
    /// <summary>The check kind as written in job definitions.</summary>
    string Kind { get; }

    /// <summary>Runs the check.</summary>
    /// <exception cref="VisionException">Bad input: ROI outside the image, golden of another size, ...</exception>
    CheckResult Run(Image test, Image golden, PixelBox roi);
}
