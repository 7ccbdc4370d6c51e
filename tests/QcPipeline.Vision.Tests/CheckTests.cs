using QcPipeline.Vision;
using QcPipeline.Vision.Checks;
using Xunit;

namespace QcPipeline.Vision.Tests;

public class CheckTests
{
    private static readonly PixelBox Roi = new(30, 20, 90, 70);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(5, -3)]
    [InlineData(-7, 6)]
    public void Template_finds_the_known_offset(int dx, int dy)
    {
        using var golden = Fixtures.Pattern(160, 120, 0, 0);
        using var test = Fixtures.Pattern(160, 120, dx, dy);
        var result = new TemplateCheck(new TemplateParameters { SearchMargin = 10 }).Run(test, golden, Roi);
        Assert.True(result.Passed, result.Reason);
        Assert.Equal(dx, result.Measures["dx"]);
        Assert.Equal(dy, result.Measures["dy"]);
        Assert.True(result.Score > 0.99, result.Reason);
    }

    [Fact]
    public void Template_fails_when_the_part_is_missing()
    {
        using var golden = Fixtures.Pattern(160, 120, 0, 0);
        using var test = Fixtures.Board(160, 120, new PixelBox(0, 0, 160, 60));
        var result = new TemplateCheck(new TemplateParameters()).Run(test, golden, Roi);
        Assert.False(result.Passed);
        Assert.True(result.Score < 0.8, result.Reason);
        Assert.Equal(Roi, Assert.Single(result.Defects).Box);
    }

    [Fact]
    public void Template_works_on_colour_test_against_grey_golden()
    {
        using var golden = Fixtures.Pattern(160, 120, 0, 0);
        using var grey = Fixtures.Pattern(160, 120, 2, 1);
        using var colour = Image.Decode(grey.EncodePng(), ImageReadMode.Color);
        var result = new TemplateCheck(new TemplateParameters()).Run(colour, golden, Roi);
        Assert.True(result.Passed, result.Reason);
        Assert.Equal((2.0, 1.0), (result.Measures["dx"], result.Measures["dy"]));
    }

    [Fact]
    public void Diff_reports_the_added_blob_box_in_image_pixels()
    {
        using var golden = Fixtures.Pattern(160, 120, 0, 0);
        using var test = Fixtures.Pattern(160, 120, 0, 0);
        test.DrawRectangle(new PixelBox(95, 75, 9, 7), Rgb.White, -1);
        var result = new DiffCheck(new DiffParameters { BlurKernel = 0 }).Run(test, golden, Roi);
        Assert.False(result.Passed);
        Assert.Equal(new PixelBox(95, 75, 9, 7), Assert.Single(result.Defects).Box);
        Assert.Equal(63, result.Score);
    }

    [Fact]
    public void Diff_aligns_a_shifted_image_and_still_finds_the_blob()
    {
        using var golden = Fixtures.Pattern(160, 120, 0, 0);
        using var test = Fixtures.Pattern(160, 120, 4, -3);
        test.DrawRectangle(new PixelBox(60, 45, 8, 8), Rgb.White, -1);
        var unaligned = new DiffCheck(new DiffParameters { MaxShift = 0 }).Run(test, golden, Roi);
        Assert.True(unaligned.Defects.Count > 1, "without alignment the shifted edges show up");
        var aligned = new DiffCheck(new DiffParameters { MaxShift = 5 }).Run(test, golden, Roi);
        Assert.Equal((4.0, -3.0), (aligned.Measures["dx"], aligned.Measures["dy"]));
        var blob = Assert.Single(aligned.Defects).Box;
        // Boxes are in test-image pixels (where the defect is, and how DeepPCB annotates), whatever the shift.
        Assert.Equal(new PixelBox(60, 45, 8, 8), blob);
    }

    [Fact]
    public void Diff_ignores_one_pixel_edge_jitter_noise_and_small_specks()
    {
        using var golden = Fixtures.Pattern(160, 120, 0, 0);
        using var test = Fixtures.Pattern(160, 120, 0, 0);
        test.DrawRectangle(new PixelBox(60, 45, 2, 2), Rgb.White, -1); // smaller than the opening
        using var noisy = Image.Decode(test.EncodeJpeg(60), ImageReadMode.Grayscale);
        Assert.True(new DiffCheck(new DiffParameters()).Run(noisy, golden, Roi).Passed);
    }

    [Fact]
    public void Diff_finds_a_missing_copper_area()
    {
        using var golden = Fixtures.Pattern(160, 120, 0, 0);
        using var test = Fixtures.Pattern(160, 120, 0, 0);
        test.DrawRectangle(new PixelBox(80, 60, 10, 12), new Rgb(0, 0, 0), -1); // cut the vertical bar
        var result = new DiffCheck(new DiffParameters()).Run(test, golden, Roi);
        Assert.Equal(new PixelBox(80, 60, 10, 12), Assert.Single(result.Defects).Box);
    }

    [Fact]
    public void Intensity_measures_mean_and_std_per_channel()
    {
        using var image = Image.Create(100, 100, 3, 0);
        image.DrawRectangle(new PixelBox(0, 0, 50, 100), new Rgb(200, 100, 0), -1); // left half
        var roi = new PixelBox(0, 0, 100, 100);
        var result = new IntensityCheck(new IntensityParameters()).Run(image, image, roi);
        Assert.True(result.Passed);
        Assert.Equal(0, result.Measures["mean_0"], 3);   // blue
        Assert.Equal(50, result.Measures["mean_1"], 3);  // green: half 100
        Assert.Equal(100, result.Measures["mean_2"], 3); // red: half 200
        Assert.Equal(100, result.Measures["std_2"], 3);
        var strict = new IntensityCheck(new IntensityParameters { MeanMax = 80 }).Run(image, image, roi);
        Assert.False(strict.Passed);
        Assert.Contains("channel 2", strict.Reason);
    }

    [Fact]
    public void Edges_tell_presence_from_absence()
    {
        using var part = Fixtures.Pattern(160, 120, 0, 0);
        using var empty = Image.Create(160, 120);
        var check = new EdgesCheck(new EdgesParameters { MinDensity = 0.02 });
        var present = check.Run(part, part, Roi);
        var absent = check.Run(empty, part, Roi);
        Assert.True(present.Passed, present.Reason);
        Assert.False(absent.Passed);
        Assert.Equal(0, absent.Score);
        Assert.InRange(present.Score, 0.02, 0.5);
    }

    [Fact]
    public void Checks_run_in_parallel_on_shared_images()
    {
        using var golden = Fixtures.Pattern(160, 120, 0, 0);
        using var test = Fixtures.Pattern(160, 120, 0, 0);
        test.DrawRectangle(new PixelBox(95, 75, 9, 7), Rgb.White, -1);
        var check = new DiffCheck(new DiffParameters { BlurKernel = 0 });
        var boxes = new PixelBox[200];
        Parallel.For(0, boxes.Length, i => boxes[i] = Assert.Single(check.Run(test, golden, Roi).Defects).Box);
        Assert.All(boxes, b => Assert.Equal(new PixelBox(95, 75, 9, 7), b));
    }
}

public class AlignmentTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(9, -2)]
    [InlineData(-5, 7)]
    public void Estimates_a_known_whole_image_shift(int dx, int dy)
    {
        using var golden = Fixtures.Board(320, 240, new PixelBox(40, 30, 60, 20), new PixelBox(150, 90, 20, 100),
            new PixelBox(200, 40, 70, 15), new PixelBox(60, 150, 40, 40), new PixelBox(120, 60, 8, 8));
        using var test = Fixtures.Board(320, 240, new PixelBox(40 + dx, 30 + dy, 60, 20), new PixelBox(150 + dx, 90 + dy, 20, 100),
            new PixelBox(200 + dx, 40 + dy, 70, 15), new PixelBox(60 + dx, 150 + dy, 40, 40), new PixelBox(120 + dx, 60 + dy, 8, 8));
        Assert.Equal((dx, dy), Alignment.EstimateShift(test, golden, 16));
    }
}
