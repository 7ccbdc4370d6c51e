using System.Diagnostics;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Vision;

namespace QcPipeline.Inspection;

public sealed class RoiCheckOptions
{
    [Option("OpenCV's own thread pool (cv::setNumThreads): 0 runs each OpenCV call on the worker that made it, so our workers own the cores (measured faster on 2 cores; see VisionRuntime); -1: OpenCV's default.", Min = -1, Max = 256)]
    public int OpencvThreads { get; init; } = VisionRuntime.RecommendedThreads;
}

/// <summary>Runs one ROI's check. Whatever goes wrong with one ROI (outside the image, missing golden,
/// undecodable image, a check that throws) becomes that ROI's error with the reason; nothing else stops.</summary>
[Stage("roi.check", "Runs each ROI's check (template, diff, intensity, edges) against its golden image; a ROI that cannot be checked is an error result with its reason. workers: auto is min(ROIs per image, cores).",
    DefaultWorkers = "auto")]
public sealed class RoiCheckStage : TransformStage<RoiTask, RoiResult, RoiCheckOptions>
{
    private GoldenImages _goldens = null!;

    // auto: one worker per core (the default), or fewer when the fan-out before it has fewer ROIs (see IBoundedFanOut).

    public override async ValueTask StartAsync(CancellationToken ct)
    {
        VisionRuntime.SetThreads(Options.OpencvThreads);
        _goldens = await Context.Services.GetOrCreateAsync(nameof(GoldenImages), _ => Task.FromResult(new GoldenImages()), ct).ConfigureAwait(false);
    }

    public override ValueTask<RoiResult> ProcessAsync(RoiTask item, ItemContext context)
    {
        var t0 = Stopwatch.GetTimestamp();
        RoiResult Result(RoiStatus status, double? score, string reason, IReadOnlyList<PixelBox> defects) =>
            new(item.Image, item.Roi, status, score, reason, defects, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        try
        {
            var (test, golden, problem) = Inputs(item);
            if (problem is not null) return ValueTask.FromResult(Result(RoiStatus.Error, null, problem, []));
            var plan = item.Roi;
            var (dx, dy) = plan.Check == "diff" && plan.Register > 0 && !ReferenceEquals(golden, test)
                ? item.Image.Pixels.ShiftAgainst(golden!, plan.Register) : (0, 0);
            var r = plan.Params.Create(plan.Check, dx, dy).Run(test!, golden!, plan.Box);
            return ValueTask.FromResult(Result(r.Passed ? RoiStatus.Pass : RoiStatus.Fail, r.Score, r.Reason, r.Defects));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return ValueTask.FromResult(Result(RoiStatus.Error, null, e is VisionException or InspectionException ? e.Message : $"{e.GetType().Name}: {e.Message}", []));
        }
    }

    /// <summary>The test image and the golden to compare with, or why the ROI cannot be checked.</summary>
    private (Image? Test, Image? Golden, string? Problem) Inputs(RoiTask item)
    {
        var pixels = item.Image.Pixels;
        if (pixels.Error is { } error) return (null, null, error);
        if (pixels.Image is not { } test) return (null, null, "image was released before its ROIs were checked");
        var plan = item.Roi;
        if (!CheckParameters.NeedsGolden(plan.Check)) return (test, test, null); // intensity and edges read the test image only
        if (plan.Golden is { } path)
        {
            var (golden, problem) = _goldens.Get(path, test.Channels == 1 ? ImageReadMode.Grayscale : ImageReadMode.Color);
            return (test, golden, problem);
        }
        if (pixels.OwnGolden is { } own) return (test, own, null);
        return (test, null, pixels.OwnGoldenError ?? $"the {plan.Check} check needs a golden image: give the product (or the ROI) a golden");
    }
}
