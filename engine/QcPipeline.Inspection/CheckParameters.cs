using QcPipeline.Core.Options;
using QcPipeline.Vision.Checks;

namespace QcPipeline.Inspection;

/// <summary>
/// The parameters of every check kind in one section (`params:` of a ROI). Each key belongs to the
/// checks its description names; giving a key the ROI's check does not use is an error. Defaults come
/// from the Vision parameter records, so they are declared in one place.
/// </summary>
public sealed class CheckParameters
{
    private static readonly TemplateParameters T = new();
    private static readonly DiffParameters D = new();
    private static readonly IntensityParameters I = new();
    private static readonly EdgesParameters E = new();

    [Option("template: how far (pixels, each side) the golden crop may have moved in the test image.", Min = 0, Max = 4096)]
    public int SearchMargin { get; init; } = T.SearchMargin;

    [Option("template: lowest normalised correlation (-1..1) that passes.", Min = -1, Max = 1)]
    public double MinScore { get; init; } = T.MinScore;

    [Option("diff: the test crop is shifted by up to this many pixels to best match the golden crop before differencing (0: no alignment).", Min = 0, Max = 256)]
    public int MaxShift { get; init; } = D.MaxShift;

    [Option("diff, edges: odd Gaussian kernel applied before differencing / edge detection (0 or 1: none).", Min = 0, Max = 99)]
    public int BlurKernel { get; init; } = D.BlurKernel;

    [Option("diff: grey-level difference (0..255) counted as a defect pixel.", Min = 0, Max = 255)]
    public int Threshold { get; init; } = D.Threshold;

    [Option("diff: tolerance band in pixels: a test pixel counts as a defect only if it lies outside the golden's min..max over this radius (0: plain difference).", Min = 0, Max = 16)]
    public int Tolerance { get; init; } = D.Tolerance;

    [Option("diff: odd square opening that drops difference lines thinner than this (0 or 1: none).", Min = 0, Max = 99)]
    public int OpenKernel { get; init; } = D.OpenKernel;

    [Option("diff: odd square closing that joins pieces of one defect (0 or 1: none).", Min = 0, Max = 99)]
    public int CloseKernel { get; init; } = D.CloseKernel;

    [Option("diff: blobs with fewer pixels than this are ignored.", Min = 0)]
    public int MinArea { get; init; } = D.MinArea;

    [Option("diff: at most this many blobs are reported per ROI (the largest).", Min = 1, Max = 4096)]
    public int MaxBlobs { get; init; } = D.MaxBlobs;

    [Option("intensity: lowest acceptable mean grey level of every channel.", Min = 0, Max = 255)]
    public double MeanMin { get; init; } = I.MeanMin;

    [Option("intensity: highest acceptable mean grey level of every channel.", Min = 0, Max = 255)]
    public double MeanMax { get; init; } = I.MeanMax;

    [Option("intensity: lowest acceptable standard deviation of every channel.", Min = 0, Max = 255)]
    public double StdMin { get; init; } = I.StdMin;

    [Option("intensity: highest acceptable standard deviation of every channel.", Min = 0, Max = 255)]
    public double StdMax { get; init; } = I.StdMax;

    [Option("edges: Canny lower hysteresis threshold.", Min = 0)]
    public double LowThreshold { get; init; } = E.LowThreshold;

    [Option("edges: Canny upper hysteresis threshold.", Min = 0)]
    public double HighThreshold { get; init; } = E.HighThreshold;

    [Option("edges: lowest acceptable share of edge pixels (0..1); above 0 checks that a part is present.", Min = 0, Max = 1)]
    public double MinDensity { get; init; } = E.MinDensity;

    [Option("edges: highest acceptable share of edge pixels; a small value checks that an area is empty.", Min = 0, Max = 1)]
    public double MaxDensity { get; init; } = E.MaxDensity;

    /// <summary>The check kinds, and which keys of this section each one reads.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> KeysByCheck = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["template"] = ["search_margin", "min_score"],
        ["diff"] = ["max_shift", "blur_kernel", "threshold", "tolerance", "open_kernel", "close_kernel", "min_area", "max_blobs"],
        ["intensity"] = ["mean_min", "mean_max", "std_min", "std_max"],
        ["edges"] = ["blur_kernel", "low_threshold", "high_threshold", "min_density", "max_density"],
    };

    public static readonly string[] CheckKinds = ["template", "diff", "intensity", "edges"];

    /// <summary>True for checks that compare with a golden image.</summary>
    public static bool NeedsGolden(string check) => check is "template" or "diff";

    /// <summary>The Vision check for <paramref name="check"/>, given the whole-image offset of the test
    /// against the golden (diff centres its search on it).</summary>
    public IRoiCheck Create(string check, int offsetX = 0, int offsetY = 0) => check switch
    {
        "template" => new TemplateCheck(new TemplateParameters { SearchMargin = SearchMargin, MinScore = MinScore }),
        "diff" => new DiffCheck(new DiffParameters
        {
            MaxShift = MaxShift, BlurKernel = BlurKernel, Threshold = Threshold, Tolerance = Tolerance,
            OpenKernel = OpenKernel, CloseKernel = CloseKernel, MinArea = MinArea, MaxBlobs = MaxBlobs,
            OffsetX = offsetX, OffsetY = offsetY,
        }),
        "intensity" => new IntensityCheck(new IntensityParameters { MeanMin = MeanMin, MeanMax = MeanMax, StdMin = StdMin, StdMax = StdMax }),
        "edges" => new EdgesCheck(new EdgesParameters
        {
            BlurKernel = BlurKernel, LowThreshold = LowThreshold, HighThreshold = HighThreshold, MinDensity = MinDensity, MaxDensity = MaxDensity,
        }),
        _ => throw new ArgumentException($"unknown check '{check}' (one of {string.Join(", ", CheckKinds)})"),
    };
}
