using QcPipeline.Vision.Interop;

namespace QcPipeline.Vision;

/// <summary>Whole-image registration.</summary>
public static class Alignment
{
    /// <summary>The translation (dx, dy) that best maps the golden image onto the test image,
    /// within +-<paramref name="maxShift"/> pixels: a coarse search on 4x reduced images, refined
    /// at full resolution. Pixel (x, y) of the golden image is at (x + dx, y + dy) in the test.</summary>
    /// <exception cref="VisionException">Sizes differ or an image is unusable.</exception>
    public static (int Dx, int Dy) EstimateShift(Image test, Image golden, int maxShift = 16)
    {
        Native.Check(NativeMethods.qcv_estimate_shift(test.Handle, golden.Handle, maxShift, out var dx, out var dy),
            $"estimate shift of {test.Source} against {golden.Source}");
        return (dx, dy);
    }
}
