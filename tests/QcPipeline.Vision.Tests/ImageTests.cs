using QcPipeline.Vision;
using Xunit;

namespace QcPipeline.Vision.Tests;

public class ImageTests
{
    [Fact]
    public void Png_round_trip_keeps_size_and_pixels()
    {
        using var board = Fixtures.Board(50, 40, new PixelBox(10, 5, 8, 6));
        using var decoded = Image.Decode(board.EncodePng(), ImageReadMode.Grayscale);
        Assert.Equal((50, 40, 1), (decoded.Width, decoded.Height, decoded.Channels));
        Assert.Equal(board.GetPixels(), decoded.GetPixels());
        Assert.Equal(6 * 8 * 255, decoded.GetPixels().Sum(b => b));
    }

    [Fact]
    public void Jpeg_decodes_in_colour_and_grey()
    {
        using var board = Fixtures.Board(64, 48, new PixelBox(0, 0, 32, 48));
        var jpeg = board.EncodeJpeg(95);
        using var colour = Image.Decode(jpeg);
        using var grey = Image.Decode(jpeg, ImageReadMode.Grayscale);
        Assert.Equal((64, 48, 3), (colour.Width, colour.Height, colour.Channels));
        Assert.Equal(1, grey.Channels);
        var pixels = grey.GetPixels();
        Assert.True(pixels[10 * 64 + 5] > 200 && pixels[10 * 64 + 60] < 50, "left half white, right half black");
    }

    [Fact]
    public void Bmp_decodes()
    {
        // A 2x1 24-bit BMP written by hand: one blue and one red pixel.
        byte[] bmp =
        [
            (byte)'B', (byte)'M', 62, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0,
            40, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0, 0, 0, 0, 0, 8, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            255, 0, 0, 0, 0, 255, 0, 0,
        ];
        using var image = Image.Decode(bmp);
        Assert.Equal((2, 1, 3), (image.Width, image.Height, image.Channels));
        Assert.Equal(new byte[] { 255, 0, 0, 0, 0, 255 }, image.GetPixels());
    }

    [Theory]
    [InlineData(1, 30, 20, 0, 0)]    // normal: white block stays top-left
    [InlineData(6, 20, 30, 10, 0)]   // rotate 90 clockwise: top-left moves to top-right
    [InlineData(3, 30, 20, 20, 10)]  // rotate 180: moves to bottom-right
    public void Exif_orientation_is_applied(ushort orientation, int width, int height, int whiteX, int whiteY)
    {
        using var board = Fixtures.Board(30, 20, new PixelBox(0, 0, 10, 10));
        var jpeg = Fixtures.WithExifOrientation(board.EncodeJpeg(95), orientation);
        using var image = Image.Decode(jpeg, ImageReadMode.Grayscale);
        Assert.Equal((width, height), (image.Width, image.Height));
        var pixels = image.GetPixels();
        Assert.True(pixels[(whiteY + 5) * width + whiteX + 5] > 200, "white block where orientation puts it");
    }

    [Fact]
    public void Crop_is_a_view_and_clone_is_a_copy()
    {
        using var board = Fixtures.Board(40, 40);
        using var crop = board.Crop(new PixelBox(10, 10, 20, 20));
        using var copy = board.Clone();
        Assert.Equal((20, 20), (crop.Width, crop.Height));
        crop.DrawRectangle(new PixelBox(0, 0, 5, 5), Rgb.White, -1);
        Assert.Equal(255, board.GetPixels()[12 * 40 + 12]);
        Assert.Equal(0, copy.GetPixels()[12 * 40 + 12]);
    }

    [Fact]
    public void Crop_survives_disposal_of_its_parent()
    {
        var board = Fixtures.Board(40, 40, new PixelBox(0, 0, 40, 40));
        using var crop = board.Crop(new PixelBox(5, 5, 10, 10));
        board.Dispose();
        Assert.All(crop.GetPixels(), p => Assert.Equal(255, p));
    }

    [Fact]
    public void Grayscale_and_annotations_work_on_colour_images()
    {
        using var colour = Image.Create(60, 40, 3, 0);
        colour.DrawRectangle(new PixelBox(5, 5, 20, 10), Rgb.Red, -1);
        colour.DrawText("ROI 1 fail", 2, 35, Rgb.Green, 0.4);
        var pixels = colour.GetPixels();
        Assert.Equal(new byte[] { 0, 0, 255 }, pixels.Skip((8 * 60 + 8) * 3).Take(3).ToArray()); // BGR red
        Assert.Contains(pixels.Where((_, i) => i % 3 == 1 && i / 3 / 60 > 25), g => g > 100);   // some green text
        using var grey = colour.ToGrayscale();
        Assert.Equal(1, grey.Channels);
        Assert.InRange(grey.GetPixels()[8 * 60 + 8], 70, 80); // 0.299 * 255
        Assert.NotEmpty(colour.EncodePng());
    }
}
