using QcPipeline.Vision;
using QcPipeline.Vision.Checks;
using Xunit;

namespace QcPipeline.Vision.Tests;

/// <summary>The additions made for the inspection stages: tolerance band, border-safe offsets, colour copies.</summary>
public class DiffToleranceTests
{
    private static readonly PixelBox Whole = new(0, 0, 160, 120);

    [Fact]
    public void Tolerance_band_ignores_edges_moved_by_a_pixel_but_not_a_real_defect()
    {
        using var golden = Fixtures.Board(160, 120, new PixelBox(20, 20, 40, 30), new PixelBox(90, 60, 30, 40));
        using var test = Fixtures.Board(160, 120, new PixelBox(19, 20, 42, 31), new PixelBox(90, 59, 31, 41)); // edges grown by 1 px
        var plain = new DiffParameters { OpenKernel = 0, MinArea = 1 };
        Assert.False(new DiffCheck(plain).Run(test, golden, Whole).Passed);
        Assert.True(new DiffCheck(plain with { Tolerance = 1 }).Run(test, golden, Whole).Passed);
        test.DrawRectangle(new PixelBox(130, 20, 8, 8), Rgb.White, -1);
        var found = new DiffCheck(plain with { Tolerance = 1 }).Run(test, golden, Whole);
        Assert.Equal(new PixelBox(130, 20, 8, 8), Assert.Single(found.Defects).Box);
    }

    [Fact]
    public void A_known_offset_at_the_image_border_compares_only_what_both_images_hold()
    {
        using var golden = Fixtures.Pattern(160, 120, 0, 0);
        using var test = Fixtures.Pattern(160, 120, 6, 0); // the board moved 6 px right: its right strip left the image
        var edge = new PixelBox(96, 0, 64, 120);
        var result = new DiffCheck(new DiffParameters { MaxShift = 0, OffsetX = 6 }).Run(test, golden, edge);
        Assert.True(result.Passed, result.Reason);
    }

    [Fact]
    public void Intensity_bounds_hold_at_the_extremes()
    {
        using var white = Fixtures.Board(50, 40, new PixelBox(0, 0, 50, 40));
        var result = new IntensityCheck(new IntensityParameters { MeanMin = 200, MeanMax = 255 }).Run(white, white, white.Bounds);
        Assert.True(result.Passed, result.Reason);
    }

    [Fact]
    public void A_colour_copy_of_a_grey_image_repeats_its_level_in_each_channel()
    {
        using var grey = Image.Create(3, 2, 1, 77);
        using var colour = grey.ToColor();
        Assert.Equal(3, colour.Channels);
        Assert.All(colour.GetPixels(), b => Assert.Equal(77, b));
        colour.DrawRectangle(new PixelBox(0, 0, 1, 1), Rgb.Red, -1);
        Assert.Equal([0, 0, 255], colour.GetPixels()[..3]); // BGR
        Assert.All(grey.GetPixels(), b => Assert.Equal(77, b)); // a copy: the grey image is untouched
    }

    [Fact]
    public void A_truncated_png_is_refused_with_a_clear_reason()
    {
        using var image = Fixtures.Pattern(160, 120, 0, 0);
        var png = image.EncodePng();
        var error = Assert.Throws<VisionException>(() => Image.Decode(png.AsSpan(0, png.Length / 2), source: "half.png"));
        Assert.Equal(VisionErrorKind.Decode, error.Kind);
        Assert.Contains("truncated PNG", error.Message);
        using var whole = Image.Decode(png); // the whole file still decodes
        Assert.Equal(160, whole.Width);
    }
}
