using System.Runtime.InteropServices;
using OpenCvSharp;

namespace QcPipeline.Vision;

/// <summary>How to decode an image.</summary>
public enum ImageReadMode
{
    /// <summary>3-channel BGR, EXIF orientation applied.</summary>
    Color = 0,
    /// <summary>1-channel grey, EXIF orientation applied (cheapest for binarised boards).</summary>
    Grayscale = 1,
    /// <summary>As stored (keeps alpha; 16-bit scaled to 8-bit), EXIF orientation not applied.</summary>
    Unchanged = 2,
}

/// <summary>A colour for annotations.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>Pure red.</summary>
    public static Rgb Red => new(255, 0, 0);
    /// <summary>Pure green.</summary>
    public static Rgb Green => new(0, 255, 0);
    /// <summary>White.</summary>
    public static Rgb White => new(255, 255, 255);

    internal Scalar ToScalar(int channels) => channels == 1 ? new Scalar(0.299 * R + 0.587 * G + 0.114 * B) : new Scalar(B, G, R, 255);
}

/// <summary>An 8-bit image held by OpenCV (1, 3 = BGR or 4 = BGRA channels). Reading from several threads at
/// once is safe; drawing is not. Its pixels are freed by <see cref="Dispose"/> (not by the garbage collector),
/// unless a crop still shares them.</summary>
public sealed partial class Image : IDisposable
{
    private Mat? _mat;

    private Image(Mat mat, string source)
    {
        _mat = mat;
        Source = source;
        Width = mat.Cols;
        Height = mat.Rows;
        Channels = mat.Channels();
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Number of channels (1, 3 or 4).</summary>
    public int Channels { get; }

    /// <summary>Where the image came from (file name, "bytes", "crop of ..."), used in error messages.</summary>
    public string Source { get; }

    /// <summary>The whole image as a box.</summary>
    public PixelBox Bounds => new(0, 0, Width, Height);

    internal Mat Mat => _mat ?? throw new ObjectDisposedException(nameof(Image), $"{Source} was disposed");

    /// <summary>A new image filled with one grey level (every channel).</summary>
    /// <exception cref="VisionException">The size is not positive or channels is not 1, 3 or 4.</exception>
    public static Image Create(int width, int height, int channels = 1, byte fill = 0)
    {
        if (width <= 0 || height <= 0) throw Argument($"create {width}x{height} image: image size must be positive");
        if (channels is not (1 or 3 or 4)) throw Argument($"create {width}x{height} image: channels must be 1, 3 or 4");
        return new Image(Cv.Run("create image", () => new Mat(height, width, MatType.CV_8UC(channels), Scalar.All(fill))), $"new {width}x{height} image");
    }

    /// <summary>A view of a rectangle of this image: no pixels are copied, so drawing on the crop draws on this
    /// image too (use <see cref="Clone"/> for an independent copy). The view stays valid after this image is disposed.</summary>
    /// <exception cref="VisionException">The rectangle is empty or not fully inside the image.</exception>
    public Image Crop(PixelBox box)
    {
        var rect = Inside(box, "crop rectangle");
        return new Image(Cv.Run($"crop {box} of {Source}", () => new Mat(Mat, rect)), $"crop {box} of {Source}");
    }

    /// <summary>A deep copy with its own pixels.</summary>
    public Image Clone() => new(Cv.Run($"copy {Source}", () => Mat.Clone()), Source);

    /// <summary>A 1-channel grey copy.</summary>
    public Image ToGrayscale() => new(Cv.Run($"grey {Source}", () => Channels == 1 ? Mat.Clone() : Convert(Channels == 4 ? ColorConversionCodes.BGRA2GRAY : ColorConversionCodes.BGR2GRAY)), $"grey {Source}");

    /// <summary>A 3-channel BGR copy (grey replicated into every channel), e.g. to annotate a grey image in colour.</summary>
    public Image ToColor() => new(Cv.Run($"colour {Source}", () => Channels == 3 ? Mat.Clone() : Convert(Channels == 4 ? ColorConversionCodes.BGRA2BGR : ColorConversionCodes.GRAY2BGR)), $"colour {Source}");

    private Mat Convert(ColorConversionCodes code)
    {
        var output = new Mat();
        Cv2.CvtColor(Mat, output, code);
        return output;
    }

    /// <summary>Draws a rectangle outline (or a filled one when <paramref name="thickness"/> is negative); parts
    /// outside the image are clipped.</summary>
    public void DrawRectangle(PixelBox box, Rgb colour, int thickness = 2)
    {
        if (box.Width <= 0 || box.Height <= 0) throw Argument($"draw {box} on {Source}: rectangle size must be positive");
        if (thickness == 0 || thickness > 1000) throw Argument($"draw {box} on {Source}: thickness must be 1..1000 or negative (filled)");
        Cv.Run($"draw {box} on {Source}", () => Cv2.Rectangle(Mat, new Rect(box.X, box.Y, box.Width, box.Height), colour.ToScalar(Channels), thickness < 0 ? -1 : thickness));
    }

    /// <summary>Draws text with its baseline starting at (x, y).</summary>
    public void DrawText(string text, int x, int y, Rgb colour, double scale = 0.5)
    {
        if (!(scale > 0 && scale <= 100)) throw Argument($"draw text on {Source}: text scale must be in (0, 100]");
        Cv.Run($"draw text on {Source}", () => Cv2.PutText(Mat, text, new Point(x, y), HersheyFonts.HersheySimplex, scale,
            colour.ToScalar(Channels), Math.Max(1, (int)(scale * 1.5)), LineTypes.AntiAlias));
    }

    /// <summary>The pixels row by row, channels interleaved in BGR(A) order, no padding.</summary>
    public byte[] GetPixels()
    {
        var mat = Mat;
        var row = Width * Channels;
        var pixels = new byte[(long)row * Height];
        for (var y = 0; y < Height; y++) Marshal.Copy(mat.Ptr(y), pixels, y * row, row);
        return pixels;
    }

    /// <summary>Frees the pixels (unless a crop still shares them). Safe to call twice.</summary>
    public void Dispose() => Interlocked.Exchange(ref _mat, null)?.Dispose();

    internal Rect Inside(PixelBox box, string what)
    {
        var right = (long)box.X + box.Width;
        var bottom = (long)box.Y + box.Height;
        if (box.Width <= 0 || box.Height <= 0 || box.X < 0 || box.Y < 0 || right > Width || bottom > Height)
            throw Argument($"{what} (x={box.X} y={box.Y} w={box.Width} h={box.Height}) is not inside the {Width}x{Height} image");
        return new Rect(box.X, box.Y, box.Width, box.Height);
    }

    internal static VisionException Argument(string message) => new(message, VisionErrorKind.Argument);
}
