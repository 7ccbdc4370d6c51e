using System.Globalization;
using OpenCvSharp;

using QcPipeline.Vision.Defects;

namespace QcPipeline.Vision.Checks;

/// <summary>Parameters of <see cref="IntensityCheck"/>: inclusive ranges applied to every channel.
/// Defaults accept anything, so a job sets only the bounds it cares about.</summary>
public sealed record IntensityParameters
{
    /// <summary>Lowest acceptable mean grey level (0..255). Default 0.</summary>
    public double MeanMin { get; init; }

    /// <summary>Highest acceptable mean grey level. Default 255.</summary>
    public double MeanMax { get; init; } = 255;

    /// <summary>Lowest acceptable standard deviation. Default 0.</summary>
    public double StdMin { get; init; }

    /// <summary>Highest acceptable standard deviation. Default 255.</summary>
    public double StdMax { get; init; } = 255;
}

/// <summary>Mean and standard deviation of each channel of the test ROI within configured ranges (the golden
/// image is not used). Score = mean over channels; measures mean_c, std_c per channel (c = 0.. in BGR order).</summary>
public sealed class IntensityCheck(IntensityParameters parameters) : IRoiCheck
{
    /// <summary>The check's parameters.</summary>
    public IntensityParameters Parameters { get; } = parameters;

    /// <inheritdoc />
    public CheckKind Kind => CheckKind.Intensity;

    /// <inheritdoc />
    public CheckResult Run(Image test, Image golden, PixelBox roi)
    {
        var what = $"intensity check of {test.Source} at ROI {roi}";
        var r = test.Inside(roi, $"{what}: ROI");
        var (mean, std) = Cv.Run(what, () =>
        {
            using var crop = new Mat(test.Mat, r);
            Cv2.MeanStdDev(crop, out var m, out var s);
            return (m, s);
        });
        var measures = new Dictionary<string, double>();
        string? failure = null;
        double sum = 0;
        for (var c = 0; c < test.Channels; c++)
        {
            measures[$"mean_{c}"] = mean[c];
            measures[$"std_{c}"] = std[c];
            sum += mean[c];
            failure ??= OutOfRange("mean", c, mean[c], Parameters.MeanMin, Parameters.MeanMax)
                     ?? OutOfRange("std", c, std[c], Parameters.StdMin, Parameters.StdMax);
        }
        var reason = failure ?? string.Create(CultureInfo.InvariantCulture, $"mean {mean[0]:F1} std {std[0]:F1} (channel 0) within ranges");
        return new CheckResult(Kind, failure is null ? CheckStatus.Pass : CheckStatus.Fail, sum / test.Channels, reason,
            failure is null ? [] : [Defect.Region(roi)], measures);
    }

    private static string? OutOfRange(string what, int channel, double value, double min, double max) =>
        // OpenCV's SIMD sums leave a few ulps (a uniform 255 area averages 255.00000000000003).
        value >= min - 1e-9 && value <= max + 1e-9
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"{what} of channel {channel} is {value:F1}, outside [{min}, {max}]");
}
