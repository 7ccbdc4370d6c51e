using OpenCvSharp;

namespace QcPipeline.Vision;

/// <summary>Whole-image registration.</summary>
public static class Alignment
{
    /// <summary>The translation (dx, dy) that best maps the golden image onto the test image, within
    /// +-<paramref name="maxShift"/> pixels. Pixel (x, y) of the golden image is at (x + dx, y + dy) in the test.
    /// The central half of the golden image is searched over the whole range at full resolution (OpenCV
    /// correlates in the frequency domain, so the range costs little); a coarse-to-fine search on reduced images
    /// was faster but locked onto wrong shifts on periodic boards.</summary>
    /// <exception cref="VisionException">Sizes differ or an image is unusable.</exception>
    public static (int Dx, int Dy) EstimateShift(Image test, Image golden, int maxShift = 16)
    {
        SameSize(test, golden);
        if (maxShift is < 0 or > 1024) throw Image.Argument($"estimate shift of {test.Source}: max_shift must be 0..1024");
        var inner = new Rect(test.Width / 4, test.Height / 4, test.Width / 2, test.Height / 2);
        var reach = Math.Min(maxShift, Math.Min(inner.X, inner.Y));
        if (reach == 0 || inner.Width == 0 || inner.Height == 0) return (0, 0);
        return Cv.Run($"estimate shift of {test.Source} against {golden.Source}", () =>
        {
            using var tg = Grey.Of(test.Mat);
            using var gg = Grey.Of(golden.Mat);
            using var area = new Mat(tg.Mat, Grown(inner, reach, test.Width, test.Height));
            using var templ = new Mat(gg.Mat, inner);
            using var scores = new Mat();
            Cv2.MatchTemplate(area, templ, scores, TemplateMatchModes.SqDiff);
            Cv2.MinMaxLoc(scores, out var lowest, out _, out var at, out _);
            // On a tie (a flat centre) no shift is better than any other: keep none.
            if (scores.At<float>(reach, reach) <= lowest * 1.0001 + 1e-3) return (0, 0);
            return (at.X - reach, at.Y - reach);
        });
    }

    internal static void SameSize(Image test, Image golden)
    {
        if (test.Width != golden.Width || test.Height != golden.Height)
            throw Image.Argument($"golden image is {golden.Width}x{golden.Height} but the test image is {test.Width}x{test.Height}");
    }

    /// <summary>The rectangle grown by <paramref name="margin"/> on every side, clipped to the image.</summary>
    internal static Rect Grown(Rect r, int margin, int width, int height) =>
        Rect.Intersect(new Rect(r.X - margin, r.Y - margin, r.Width + 2 * margin, r.Height + 2 * margin), new Rect(0, 0, width, height));
}

/// <summary>A single-channel view of a Mat: the Mat itself when it is grey already, else a converted copy that
/// this owns. Disposing it never frees the caller's pixels.</summary>
internal readonly struct Grey : IDisposable
{
    private readonly Mat? _owned;

    private Grey(Mat mat, Mat? owned) { Mat = mat; _owned = owned; }

    public Mat Mat { get; }

    public static Grey Of(Mat m)
    {
        if (m.Channels() == 1) return new Grey(m, null);
        var g = new Mat();
        Cv2.CvtColor(m, g, m.Channels() == 4 ? ColorConversionCodes.BGRA2GRAY : ColorConversionCodes.BGR2GRAY);
        return new Grey(g, g);
    }

    public void Dispose() => _owned?.Dispose();
}
