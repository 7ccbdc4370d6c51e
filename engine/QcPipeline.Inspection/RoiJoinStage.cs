using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Vision;
using QcPipeline.Vision.Evaluation;

namespace QcPipeline.Inspection;

public sealed class RoiJoinOptions
{
    [Option("Defect boxes of neighbouring ROIs closer than this many pixels become one image-level defect (a defect cut by a tile border); -1: no merging.", Min = -1, Max = 1000)]
    public int MergeGap { get; init; } = 4;

    [Option("Pixels added around each image-level defect box (clipped to the image), so it shows the defect with its surroundings as an inspector would draw it.", Min = 0, Max = 1000)]
    public int BoxMargin { get; init; }
}

/// <summary>Collects the ROI results of each image (keyed by the image, whatever order they finish in)
/// into its verdict, then releases the image's pixels (an image that did not pass keeps them for its annotation).</summary>
[Stage("roi.join", "Joins the ROI results of each image into its verdict (error if any ROI is an error, else fail if any failed) as soon as that image's ROIs are all in.")]
public sealed class RoiJoinStage : JoinStage<RoiResult, ImageVerdict, RoiJoinOptions>
{
    public override ImageVerdict Combine(JoinGroup<RoiResult> group, ItemContext context)
    {
        var results = new List<RoiResult>(group.Items.Count);
        LoadedImage? image = null;
        foreach (var o in group.Items)
        {
            if (o.IsOk && o.Value is { } r) { results.Add(r); image ??= r.Image; continue; }
            // The engine failed this ROI (a timeout, say): it is an error with the engine's reason.
            if (o.Input is RoiTask task)
            {
                image ??= task.Image;
                results.Add(new RoiResult(task.Image, task.Roi, RoiStatus.Error, null, o.Failure?.Reason ?? o.SkipReason ?? "not checked", [], 0));
            }
            else if (o.Input is RoiResult partial)
            {
                image ??= partial.Image;
                results.Add(partial with { Status = RoiStatus.Error, Reason = o.Failure?.Reason ?? o.SkipReason ?? "not checked" });
            }
        }
        if (image is null) throw new InspectionException($"none of the {group.Items.Count} ROI results of {group.ParentKey} names its image");
        var pixels = image.Pixels;
        var verdict = ImageVerdict.Combine(results.Select(r => r.Status));
        var bounds = new PixelBox(0, 0, pixels.Width, pixels.Height);
        var found = results.SelectMany(r => r.Defects);
        var defects = (Options.MergeGap >= 0 ? BoxMerger.Merge(found, Options.MergeGap) : found.ToList())
            .Select(d => Options.BoxMargin > 0 && bounds.Area > 0 ? d.Inflate(Options.BoxMargin).Intersect(bounds) : d)
            .ToList();
        var keep = verdict != RoiStatus.Pass && pixels.Image is not null;
        if (!keep) pixels.Dispose();
        return new ImageVerdict(image.File, verdict, pixels.ElapsedMs, results, defects, pixels.Width, pixels.Height)
        {
            Pixels = keep ? pixels : null,
        };
    }
}
