using QcPipeline.Vision;
using QcPipeline.Vision.Checks;
using Xunit;

namespace QcPipeline.Vision.Tests;

/// <summary>Bad input must come back as a clear VisionException, never a crash.</summary>
public class BoundaryTests
{
    [Fact]
    public void Garbage_bytes_give_a_decode_error_naming_the_source()
    {
        var garbage = new byte[1000];
        new Random(7).NextBytes(garbage);
        var e = Assert.Throws<VisionException>(() => Image.Decode(garbage, source: "cam1/frame.jpg"));
        Assert.Equal(VisionErrorKind.Decode, e.Kind);
        Assert.Contains("cam1/frame.jpg", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Truncated_and_fake_jpeg_headers_do_not_crash()
    {
        using var board = Fixtures.Board(64, 64, new PixelBox(8, 8, 20, 20));
        var jpeg = board.EncodeJpeg(90);
        byte[] fake = [0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 1, 2, 3];
        Assert.Throws<VisionException>(() => Image.Decode(fake));
        Assert.Throws<VisionException>(() => Image.Decode(jpeg.AsSpan(0, 20)));
        Assert.Throws<VisionException>(() => Image.Decode(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var e = Assert.Throws<VisionException>(() => Image.Load("/nonexistent/board.png"));
        Assert.Equal(VisionErrorKind.Io, e.Kind);
        Assert.Contains("/nonexistent/board.png", e.Message);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(10, -1)]
    public void Empty_image_sizes_are_refused(int width, int height) =>
        Assert.Equal(VisionErrorKind.Argument, Assert.Throws<VisionException>(() => Image.Create(width, height)).Kind);

    [Fact]
    public void One_pixel_image_runs_every_check()
    {
        using var test = Image.Create(1, 1, 1, 200);
        using var golden = Image.Create(1, 1, 1, 200);
        var roi = new PixelBox(0, 0, 1, 1);
        Assert.True(new DiffCheck(new DiffParameters()).Run(test, golden, roi).Passed);
        Assert.Equal(200, new IntensityCheck(new IntensityParameters()).Run(test, golden, roi).Score);
        Assert.Equal(0, new EdgesCheck(new EdgesParameters { MinDensity = 0 }).Run(test, golden, roi).Score);
        // A one-pixel golden has no texture: correlation is undefined, said clearly.
        var e = Assert.Throws<VisionException>(() => new TemplateCheck(new TemplateParameters()).Run(test, golden, roi));
        Assert.Contains("uniform", e.Message);
        using var decoded = Image.Decode(test.EncodePng());
        Assert.Equal((1, 1), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Very_wide_image_is_handled()
    {
        using var wide = Fixtures.Board(16384, 8, new PixelBox(16000, 0, 100, 8));
        using var golden = Image.Create(16384, 8);
        using var decoded = Image.Decode(wide.EncodePng(), ImageReadMode.Grayscale);
        Assert.Equal(16384, decoded.Width);
        var found = new DiffCheck(new DiffParameters { MaxShift = 0 }).Run(decoded, golden, decoded.Bounds);
        Assert.Equal(new PixelBox(16000, 0, 100, 8), Assert.Single(found.Defects).Box);
    }

    public static TheoryData<PixelBox> OutsideBoxes => new()
    {
        new PixelBox(-1, 0, 10, 10), new PixelBox(0, 0, 0, 10), new PixelBox(95, 0, 10, 10),
        new PixelBox(0, 0, 101, 1), new PixelBox(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue),
        new PixelBox(10, 10, -5, 5),
    };

    [Theory]
    [MemberData(nameof(OutsideBoxes))]
    public void Out_of_range_rectangles_are_refused_with_their_coordinates(PixelBox roi)
    {
        using var test = Fixtures.Pattern(100, 100, 0, 0);
        using var golden = Fixtures.Pattern(100, 100, 0, 0);
        IRoiCheck[] checks =
        [
            new TemplateCheck(new TemplateParameters()), new DiffCheck(new DiffParameters()),
            new IntensityCheck(new IntensityParameters()), new EdgesCheck(new EdgesParameters()),
        ];
        foreach (var check in checks)
        {
            var e = Assert.Throws<VisionException>(() => check.Run(test, golden, roi));
            Assert.Equal(VisionErrorKind.Argument, e.Kind);
            Assert.Contains($"x={roi.X}", e.Message);
            Assert.Contains($"{check.Kind.ToString().ToLowerInvariant()} check", e.Message);
        }
        Assert.Throws<VisionException>(() => test.Crop(roi));
    }

    [Fact]
    public void Mismatched_golden_size_is_refused()
    {
        using var test = Image.Create(100, 80);
        using var golden = Image.Create(90, 80);
        var roi = new PixelBox(0, 0, 10, 10);
        var e = Assert.Throws<VisionException>(() => new DiffCheck(new DiffParameters()).Run(test, golden, roi));
        Assert.Contains("90x80", e.Message);
        Assert.Throws<VisionException>(() => new TemplateCheck(new TemplateParameters()).Run(test, golden, roi));
    }

    [Fact]
    public void Bad_parameters_are_refused()
    {
        using var test = Image.Create(50, 50);
        var roi = new PixelBox(0, 0, 20, 20);
        Assert.Throws<VisionException>(() => new DiffCheck(new DiffParameters { BlurKernel = 4 }).Run(test, test, roi));
        Assert.Throws<VisionException>(() => new DiffCheck(new DiffParameters { Threshold = 300 }).Run(test, test, roi));
        Assert.Throws<VisionException>(() => new EdgesCheck(new EdgesParameters { LowThreshold = 200, HighThreshold = 100 }).Run(test, test, roi));
        Assert.Throws<VisionException>(() => test.DrawText("x", 0, 0, Rgb.White, -1));
    }

    [Fact]
    public void Disposed_image_is_refused_not_crashed()
    {
        var image = Image.Create(10, 10);
        image.Dispose();
        Assert.Throws<ObjectDisposedException>(() => image.GetPixels());
    }

    [Fact]
    public void Runtime_reports_version_and_threads()
    {
        Assert.StartsWith("4.", VisionRuntime.OpenCvVersion);
        var before = VisionRuntime.Threads;
        VisionRuntime.SetThreads(1);
        Assert.Equal(1, VisionRuntime.Threads);
        VisionRuntime.SetThreads(before);
    }
}
