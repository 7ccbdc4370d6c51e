using QcPipeline.Vision;

namespace QcPipeline.Vision.Tests;

/// <summary>Generated images with known content.</summary>
internal static class Fixtures
{
    /// <summary>A black grey image with white filled rectangles.</summary>
    public static Image Board(int width, int height, params PixelBox[] white)
    {
        var image = Image.Create(width, height, 1, 0);
        foreach (var box in white) image.DrawRectangle(box, Rgb.White, -1);
        return image;
    }

    /// <summary>A textured pattern (several rectangles) drawn at an offset, so correlation has a unique peak.</summary>
    public static Image Pattern(int width, int height, int dx, int dy) => Board(width, height,
        new PixelBox(40 + dx, 30 + dy, 30, 12), new PixelBox(80 + dx, 50 + dy, 10, 40),
        new PixelBox(50 + dx, 70 + dy, 22, 8), new PixelBox(100 + dx, 28 + dy, 6, 6));

    /// <summary>Inserts an EXIF APP1 segment with the given orientation after the JPEG SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        // TIFF header (little endian), IFD0 at offset 8 with one entry: 0x0112 SHORT count 1.
        byte[] tiff =
        [
            (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0,
            1, 0,
            0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, (byte)(orientation >> 8), 0, 0,
            0, 0, 0, 0,
        ];
        return JpegBytes.WithApp1(jpeg, [.. "Exif\0\0"u8, .. tiff]);
    }
}
