using OpenCvSharp;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Vision.Checks;

/// <summary>The diff check's OpenCV pipeline: align, difference, clean up, label, type.</summary>
internal static class DiffEngine
{
    public static DiffDetection Detect(Image test, Image golden, PixelBox roi, DiffParameters p)
    {
        var what = $"diff check of {test.Source} at ROI {roi}";
        Alignment.SameSize(test, golden);
        var r = test.Inside(roi, $"{what}: ROI");
        Validate(p, what);
        int w = test.Width, h = test.Height;
        // Only the part of the ROI whose counterpart (at the known offset) lies inside the test image can be compared:
        // clamping the whole ROI back inside would misalign it and flag the board edge.
        var inner = Rect.Intersect(r, new Rect(-p.OffsetX, -p.OffsetY, w, h));
        if (inner.Width <= 0 || inner.Height <= 0) return new DiffDetection([], 0, 0, p.OffsetX, p.OffsetY);
        return Cv.Run(what, () =>
        {
            using var tg = Grey.Of(test.Mat);
            using var gg = Grey.Of(golden.Mat);
            // First at the whole-image shift: a tile that matches there needs no local search (most tiles of a board).
            var first = Compare(tg.Mat, gg.Mat, inner, p.OffsetX, p.OffsetY, p);
            if (first.BlobCount == 0 || p.MaxShift == 0) return first;
            var (dx, dy) = LocalShift(tg.Mat, gg.Mat, inner, p);
            return dx == p.OffsetX && dy == p.OffsetY ? first : Compare(tg.Mat, gg.Mat, inner, dx, dy, p);
        });
    }

    /// <summary>The ROI with its context compared at shift (dx, dy): smoothed, differenced, cleaned, labelled, typed.</summary>
    private static DiffDetection Compare(Mat test, Mat golden, Rect inner, int dx, int dy, DiffParameters p)
    {
        int w = test.Cols, h = test.Rows;
        // The ROI with its context, in golden pixels, kept where its counterpart lies inside the test image.
        var ctx = Rect.Intersect(Alignment.Grown(inner, p.ContextMargin, w, h), new Rect(-dx, -dy, w, h));
        if (ctx.Width <= 0 || ctx.Height <= 0) return new DiffDetection([], 0, 0, dx, dy);
        using var aligned = new Mat(test, new Rect(ctx.X + dx, ctx.Y + dy, ctx.Width, ctx.Height));
        using var reference = new Mat(golden, ctx);
        using var a = Smooth(aligned, p.BlurKernel);
        using var b = Smooth(reference, p.BlurKernel);
        using var mask = Mask(a, b, p);
        return Blobs(a, b, mask, inner, ctx, dx, dy, p);
    }

    private static void Validate(DiffParameters p, string what)
    {
        if (p.MaxShift is < 0 or > 256) throw Image.Argument($"{what}: max_shift must be 0..256");
        if (p.Threshold is < 0 or > 255) throw Image.Argument($"{what}: threshold must be 0..255");
        if (p.MinArea < 0) throw Image.Argument($"{what}: min_area must be >= 0");
        if (p.Tolerance is < 0 or > 16) throw Image.Argument($"{what}: tolerance must be 0..16");
        if (p.MaxElongation < 0) throw Image.Argument($"{what}: max_elongation must be >= 0");
        if (p.ContextMargin is < 0 or > 1024) throw Image.Argument($"{what}: context_margin must be 0..1024");
        Kernels.Odd(p.BlurKernel, "blur_kernel", what);
        Kernels.Odd(p.OpenKernel, "open_kernel", what);
        Kernels.Odd(p.CloseKernel, "close_kernel", what);
    }

    /// <summary>A local shift must lower the squared difference below this share of its value at the expected
    /// position: a real misregistration of a few pixels removes most of it along every edge, while a defect on a flat
    /// area would otherwise pull the crop aside to hide itself.</summary>
    internal static double AlignGain = 0.8;

    /// <summary>The coarsest level of the local search: crops reduced this many times (thin tracks vanish at 4).</summary>
    internal static int MaxReduction = 2;

    /// <summary>The shift (whole-image offset plus a local search of +-max_shift) that best matches the test to the
    /// golden ROI with its context, by least squared difference (defined even on flat tiles, where normalised
    /// correlation is not). Coarse to fine: a wide range is searched on crops reduced 2 times, then refined at
    /// full resolution around the coarse answer (one full-resolution matchTemplate over +-16 px cost 3 ms a tile; this
    /// costs a tenth). Unless it clearly improves on the expected position, that position is kept.</summary>
    private static (int Dx, int Dy) LocalShift(Mat test, Mat golden, Rect inner, DiffParameters p)
    {
        if (p.MaxShift == 0) return (p.OffsetX, p.OffsetY);
        int w = test.Cols, h = test.Rows, s = p.MaxShift;
        // The template: the ROI with its context, kept where every candidate position lies inside the test image.
        var templRect = Rect.Intersect(Alignment.Grown(inner, p.ContextMargin, w, h),
            new Rect(s - p.OffsetX, s - p.OffsetY, w - 2 * s, h - 2 * s));
        if (templRect.Width <= 0 || templRect.Height <= 0) return (p.OffsetX, p.OffsetY);
        var search = new Rect(templRect.X + p.OffsetX - s, templRect.Y + p.OffsetY - s, templRect.Width + 2 * s, templRect.Height + 2 * s);
        using var area = new Mat(test, search);
        using var templ = new Mat(golden, templRect);
        // Levels: the crops reduced by 2 (when the search range and the crop's size allow), then full size.
        var factor = 1;
        while (factor < MaxReduction && s >= 3 * factor && templRect.Width >= 16 * factor && templRect.Height >= 16 * factor) factor *= 2;
        int bx = 0, by = 0; // the shift relative to the expected position, in full-resolution pixels
        for (var f = factor; f >= 1; f /= 2)
        {
            using var reducedArea = f == 1 ? null : Reduce(area, f);
            using var reducedTempl = f == 1 ? null : Reduce(templ, f);
            var (a, t) = (reducedArea ?? area, reducedTempl ?? templ);
            int reach = s / f, cx = bx / f, cy = by / f;
            if (f == factor && factor > 1)
            {
                // The coarsest level searches the whole range in one matchTemplate; the others refine by one pixel.
                using var scores = new Mat();
                using var window = new Mat(a, new Rect(0, 0, Math.Min(a.Cols, t.Cols + 2 * reach), Math.Min(a.Rows, t.Rows + 2 * reach)));
                Cv2.MatchTemplate(window, t, scores, TemplateMatchModes.SqDiff);
                Cv2.MinMaxLoc(scores, out _, out _, out var at, out _);
                (bx, by) = ((at.X - reach) * f, (at.Y - reach) * f);
                continue;
            }
            var radius = f == factor ? reach : 1;
            double lowest = double.MaxValue;
            for (var dy = Math.Max(-reach, cy - radius); dy <= Math.Min(reach, cy + radius); dy++)
                for (var dx = Math.Max(-reach, cx - radius); dx <= Math.Min(reach, cx + radius); dx++)
                {
                    var v = Ssd(a, t, reach + dx, reach + dy);
                    if (v < lowest) (lowest, bx, by) = (v, dx * f, dy * f);
                }
        }
        var expected = Ssd(area, templ, s, s);
        if (Ssd(area, templ, s + bx, s + by) >= expected * AlignGain) return (p.OffsetX, p.OffsetY);
        return (p.OffsetX + bx, p.OffsetY + by);
    }

    private static Mat Reduce(Mat m, int factor)
    {
        var small = new Mat();
        Cv2.Resize(m, small, new Size(m.Cols / factor, m.Rows / factor), 0, 0, InterpolationFlags.Area);
        return small;
    }

    /// <summary>Squared difference of the template and the area's window at (x, y) (clipped to what both hold).</summary>
    private static double Ssd(Mat area, Mat templ, int x, int y)
    {
        int tw = Math.Min(templ.Cols, area.Cols - x), th = Math.Min(templ.Rows, area.Rows - y);
        if (tw <= 0 || th <= 0 || x < 0 || y < 0) return double.MaxValue;
        using var window = new Mat(area, new Rect(x, y, tw, th));
        using var part = tw == templ.Cols && th == templ.Rows ? null : new Mat(templ, new Rect(0, 0, tw, th));
        return Cv2.Norm(window, part ?? templ, NormTypes.L2SQR);
    }

    private static Mat Smooth(Mat m, int kernel)
    {
        var output = new Mat();
        if (kernel > 1) Cv2.GaussianBlur(m, output, new Size(kernel, kernel), 0);
        else m.CopyTo(output);
        return output;
    }

    /// <summary>Changed pixels, thresholded and cleaned by opening and closing.</summary>
    private static Mat Mask(Mat a, Mat b, DiffParameters p)
    {
        var mask = new Mat();
        if (p.Tolerance > 0)
        {
            // Tolerance band: an edge that moved by up to `tolerance` pixels stays within the golden's local min..max,
            // so only copper that appears or vanishes beyond it counts.
            var k = 2 * p.Tolerance + 1;
            using var square = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(k, k));
            using var lo = new Mat();
            using var hi = new Mat();
            using var under = new Mat();
            Cv2.Erode(b, lo, square);
            Cv2.Dilate(b, hi, square);
            Cv2.Subtract(a, hi, mask);  // saturating: brighter than anything nearby in the golden
            Cv2.Subtract(lo, a, under); // darker than anything nearby
            Cv2.Max(mask, under, mask);
        }
        else Cv2.Absdiff(a, b, mask);
        Cv2.Threshold(mask, mask, p.Threshold, 255, ThresholdTypes.Binary);
        Morph(mask, MorphTypes.Open, p.OpenKernel);
        Morph(mask, MorphTypes.Close, p.CloseKernel);
        return mask;
    }

    private static void Morph(Mat mask, MorphTypes op, int k)
    {
        if (k <= 1) return;
        using var square = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(k, k));
        Cv2.MorphologyEx(mask, mask, op, square);
    }

    private static DiffDetection Blobs(Mat a, Mat b, Mat mask, Rect inner, Rect ctx, int dx, int dy, DiffParameters p)
    {
        if (Cv2.CountNonZero(mask) == 0) return new DiffDetection([], 0, 0, dx, dy);
        using var labels = new Mat();
        using var stats = new Mat();
        using var centroids = new Mat();
        var n = Cv2.ConnectedComponentsWithStats(mask, labels, stats, centroids, PixelConnectivity.Connectivity8);
        var found = new List<Defect>();
        long total = 0;
        for (var i = 1; i < n; i++) // label 0 is the background
        {
            var area = stats.At<int>(i, (int)ConnectedComponentsTypes.Area);
            if (area < Math.Max(1, p.MinArea)) continue;
            var box = new Rect(stats.At<int>(i, (int)ConnectedComponentsTypes.Left), stats.At<int>(i, (int)ConnectedComponentsTypes.Top),
                stats.At<int>(i, (int)ConnectedComponentsTypes.Width), stats.At<int>(i, (int)ConnectedComponentsTypes.Height));
            if (p.MaxElongation > 0 && Math.Max(box.Width, box.Height) > p.MaxElongation * Math.Min(box.Width, box.Height)) continue;
            // Each defect belongs to the ROI that holds the centre of its box; the context only completes it.
            int cx = ctx.X + box.X + box.Width / 2, cy = ctx.Y + box.Y + box.Height / 2;
            if (cx < inner.X || cx >= inner.Right || cy < inner.Y || cy >= inner.Bottom) continue;
            var (type, confidence) = p.Classify
                ? DefectClassifier.Classify(a, b, labels, i, box, area, p.Copper)
                : (DefectType.Difference, Math.Round(1 - Math.Exp(-area / 40.0), 3));
            // In test-image pixels: the compared test area starts at the context plus the chosen shift.
            found.Add(new Defect(new PixelBox(ctx.X + dx + box.X, ctx.Y + dy + box.Y, box.Width, box.Height), type, confidence, area));
            total += area;
        }
        var kept = found.OrderByDescending(d => d.Area).ToList();
        return new DiffDetection(kept.Take(Math.Clamp(p.MaxBlobs, 1, 4096)).ToList(), kept.Count, total, dx, dy);
    }
}
