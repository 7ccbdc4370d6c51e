using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Vision;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Inspection;

/// <summary>Options of roi.join: how ROI defects become image-level defect boxes.</summary>
public sealed class RoiJoinOptions
{
    /// <summary>Defects of one type closer than this many pixels become one image-level defect (a defect broken in pieces); -1: no merging.</summary>
    [Option("Defects of one type closer than this many pixels become one image-level defect (a defect broken in pieces); -1: no merging.", Min = -1, Max = 1000)]
    public int MergeGap { get; init; } = -1;

    /// <summary>Pixels added around each image-level defect box (clipped to the image), so it shows the defect with its surroundings as an inspector would draw it.</summary>
    [Option("Pixels added around each image-level defect box (clipped to the image), so it shows the defect with its surroundings as an inspector would draw it.", Min = 0, Max = 1000)]
    public int BoxMargin { get; init; }

    /// <summary>Image-level defect boxes narrower or lower than this grow about their centre to it (annotators draw no box much smaller, however small the defect); 0: off.</summary>
    [Option("Image-level defect boxes narrower or lower than this grow about their centre to it (annotators draw no box much smaller, however small the defect); 0: off.", Min = 0, Max = 10000)]
    public int MinBox { get; init; }
}

/// <summary>Collects the ROI results of each image (keyed by the image, whatever order they finish in) into its
/// verdict, then releases the image's pixels (an image that did not pass keeps them for its annotation). The
/// image's defects are drawn from all ROIs' blobs; a ROI fails when one of them overlaps it, so ROI statuses and
/// image-level defects always agree.</summary>
[Stage("roi.join", "Joins the ROI results of each image into its verdict (error if any ROI is an error, else fail if any failed) as soon as that image's ROIs are all in; draws the image's defect boxes and fails every ROI one of them overlaps.")]
public sealed class RoiJoinStage : JoinStage<RoiResult, ImageVerdict, RoiJoinOptions>
{
    /// <inheritdoc />
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
        var bounds = new PixelBox(0, 0, pixels.Width, pixels.Height);
        var defects = DefectBoxes.Finish(results.SelectMany(r => r.Defects), new BoxRules(Options.MergeGap, Options.BoxMargin, Options.MinBox), bounds);
        results = results.Select(r => Agree(r, defects)).ToList();
        var verdict = ImageVerdict.Combine(results.Select(r => r.Status));
        var keep = verdict != RoiStatus.Pass && pixels.Image is not null;
        if (!keep) pixels.Dispose();
        return new ImageVerdict(image.File, verdict, pixels.ElapsedMs, results, defects, pixels.Width, pixels.Height)
        {
            Pixels = keep ? pixels : null,
        };
    }

    /// <summary>Each ROI lists the image's typed defects that overlap it (plus its own failed region, for template,
    /// intensity and edges checks); a passing ROI that one of them overlaps fails, naming it.</summary>
    private static RoiResult Agree(RoiResult r, IReadOnlyList<Defect> defects)
    {
        if (r.Status == RoiStatus.Error) return r;
        var over = defects.Where(d => d.Type != DefectType.Region && d.Box.Overlaps(r.Roi.Box)).ToList();
        var own = r.Defects.Where(d => d.Type == DefectType.Region);
        var listed = over.Concat(own).ToList();
        if (r.Status != RoiStatus.Pass || over.Count == 0) return r with { Defects = listed };
        return r with
        {
            Status = RoiStatus.Fail,
            Reason = $"{DefectTypes.Name(over[0].Type)} defect at {over[0].Box} (found by a neighbouring ROI) overlaps it",
            Defects = listed,
        };
    }
}
