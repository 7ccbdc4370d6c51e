using System.Diagnostics;
using QcPipeline.Core.Stages;
using QcPipeline.Vision;
using QcPipeline.Vision.Checks;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Inspection;

/// <summary>Runs one ROI's check. Whatever goes wrong with one ROI (outside the image, missing golden, undecodable
/// image, a golden of another size, a check that throws) becomes that ROI's error with the reason; nothing else
/// stops. OpenCV's own threads stay off (see <see cref="VisionRuntime"/>): the stage's workers own the cores.</summary>
[Stage("roi.check", "Runs each ROI's check (template, diff, intensity, edges) against its golden image; a ROI that cannot be checked is an error result with its reason. workers: auto is min(ROIs per image, cores).",
    DefaultWorkers = "auto")]
public sealed class RoiCheckStage : TransformStage<RoiTask, RoiResult, NoOptions>
{
    private GoldenImages _goldens = null!;

    // auto: one worker per core (the default), or fewer when the fan-out before it has fewer ROIs (see IBoundedFanOut).

    /// <inheritdoc />
    public override async ValueTask StartAsync(CancellationToken ct) =>
        _goldens = await Context.Services.GetOrCreateAsync(nameof(GoldenImages), _ => Task.FromResult(new GoldenImages()), ct).ConfigureAwait(false);

    /// <inheritdoc />
    public override ValueTask<RoiResult> ProcessAsync(RoiTask item, ItemContext context)
    {
        var t0 = Stopwatch.GetTimestamp();
        RoiResult Result(RoiStatus status, double? score, string reason, IReadOnlyList<Defect> defects) =>
            new(item.Image, item.Roi, status, score, reason, defects, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        try
        {
            var (test, golden, problem) = Inputs(item);
            if (problem is not null) return ValueTask.FromResult(Result(RoiStatus.Error, null, problem, []));
            var plan = item.Roi;
            var (dx, dy) = plan.Check == CheckKind.Diff && plan.Register > 0 && !ReferenceEquals(golden, test)
                ? item.Image.Pixels.ShiftAgainst(golden!, plan.Register) : (0, 0);
            var r = plan.Create(dx, dy).Run(test!, golden ?? test!, plan.Box);
            return ValueTask.FromResult(Result(r.Passed ? RoiStatus.Pass : RoiStatus.Fail, r.Score, r.Reason, r.Defects));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return ValueTask.FromResult(Result(RoiStatus.Error, null, e is VisionException or InspectionException ? e.Message : $"{e.GetType().Name}: {e.Message}", []));
        }
    }

    /// <summary>The test image and the golden to compare with, or why the ROI cannot be checked. A ROI whose check
    /// reads the test image only still needs its image to have its golden's size: an image of another size is not
    /// half-judged.</summary>
    private (Image? Test, Image? Golden, string? Problem) Inputs(RoiTask item)
    {
        var pixels = item.Image.Pixels;
        if (pixels.Error is { } error) return (null, null, error);
        if (pixels.Image is not { } test) return (null, null, "image was released before its ROIs were checked");
        var plan = item.Roi;
        Image? golden = null;
        if (plan.Golden is { } path)
        {
            var (g, problem) = _goldens.Get(path, test.Channels == 1 ? ImageReadMode.Grayscale : ImageReadMode.Color);
            if (problem is not null && plan.Component.NeedsGolden) return (test, null, problem);
            golden = g;
        }
        else if (pixels.OwnGolden is { } own) golden = own;
        else if (pixels.OwnGoldenError is { } ownError && plan.Component.NeedsGolden) return (test, null, ownError);
        if (golden is not null && (golden.Width != test.Width || golden.Height != test.Height))
            return (test, null, $"the image is {test.Width}x{test.Height} but its golden is {golden.Width}x{golden.Height}: not checked");
        if (golden is null && plan.Component.NeedsGolden)
            return (test, null, $"the {plan.Component.Section} check needs a golden image: give the product (or the ROI) a golden");
        return (test, plan.Component.NeedsGolden ? golden : test, null);
    }
}
