using System.Runtime.InteropServices;
using QcPipeline.Vision.Interop;

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
}

/// <summary>An 8-bit image held by OpenCV (1, 3 = BGR or 4 = BGRA channels). Reading from several
/// threads at once is safe; drawing is not.</summary>
public sealed class Image : IDisposable
{
    private readonly MatHandle _handle;

    private Image(MatHandle handle, string source)
    {
        _handle = handle;
        Source = source;
        Native.Check(NativeMethods.qcv_mat_info(handle, out var w, out var h, out var c), source);
        Width = w;
        Height = h;
        Channels = c;
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

    internal MatHandle Handle => _handle;

    /// <summary>Decodes JPEG (via libturbojpeg), PNG, BMP or any format OpenCV reads.</summary>
    /// <param name="bytes">The encoded image.</param>
    /// <param name="mode">Colour, grey or unchanged.</param>
    /// <param name="source">A name for error messages (e.g. the file path).</param>
    /// <exception cref="VisionException">The bytes are empty or not an image.</exception>
    public static unsafe Image Decode(ReadOnlySpan<byte> bytes, ImageReadMode mode = ImageReadMode.Color, string source = "image bytes")
    {
        if (bytes.IsEmpty) throw new VisionException($"decode {source}: image bytes are empty", VisionErrorKind.Decode);
        MatHandle handle;
        fixed (byte* data = bytes)
        {
            var status = NativeMethods.qcv_decode(data, bytes.Length, (int)mode, out handle);
            if (status != 0) handle.Dispose();
            Native.Check(status, $"decode {source}");
        }
        return new Image(handle, source);
    }

    /// <summary>Reads and decodes an image file.</summary>
    /// <exception cref="VisionException">The file cannot be read or is not an image.</exception>
    public static Image Load(string path, ImageReadMode mode = ImageReadMode.Color)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new VisionException($"read {path}: {e.Message}", VisionErrorKind.Io, e);
        }
        return Decode(bytes, mode, path);
    }

    /// <summary>A new image filled with one grey level (every channel).</summary>
    public static Image Create(int width, int height, int channels = 1, byte fill = 0)
    {
        var status = NativeMethods.qcv_create(width, height, channels, fill, out var handle);
        if (status != 0) handle.Dispose();
        Native.Check(status, $"create {width}x{height}x{channels} image");
        return new Image(handle, $"new {width}x{height} image");
    }

    /// <summary>Encodes as PNG (lossless).</summary>
    public byte[] EncodePng() => Encode(".png", 0);

    /// <summary>Encodes as JPEG at the given quality (1..100).</summary>
    public byte[] EncodeJpeg(int quality = 90) => Encode(".jpg", Math.Clamp(quality, 1, 100));

    private byte[] Encode(string extension, int quality)
    {
        Native.Check(NativeMethods.qcv_encode(_handle, extension, quality, out var data, out var length), $"encode {Source} as {extension}");
        try
        {
            var bytes = new byte[length];
            Marshal.Copy(data, bytes, 0, bytes.Length);
            return bytes;
        }
        finally
        {
            NativeMethods.qcv_buffer_free(data);
        }
    }

    /// <summary>A view of a rectangle of this image: no pixels are copied, so drawing on the crop
    /// draws on this image too (use <see cref="Clone"/> for an independent copy). The view stays
    /// valid after this image is disposed.</summary>
    /// <exception cref="VisionException">The rectangle is empty or not fully inside the image.</exception>
    public Image Crop(PixelBox box) => Derive(NativeMethods.qcv_crop(_handle, box, out var h), h, $"crop {box} of {Source}");

    /// <summary>A deep copy with its own pixels.</summary>
    public Image Clone() => Derive(NativeMethods.qcv_clone(_handle, out var h), h, Source);

    /// <summary>A 1-channel grey copy.</summary>
    public Image ToGrayscale() => Derive(NativeMethods.qcv_grayscale(_handle, out var h), h, $"grey {Source}");

    /// <summary>A 3-channel BGR copy (grey replicated into every channel), e.g. to annotate a grey image in colour.</summary>
    public Image ToColor() => Derive(NativeMethods.qcv_to_color(_handle, out var h), h, $"colour {Source}");

    private static Image Derive(int status, MatHandle handle, string what)
    {
        if (status != 0) handle.Dispose();
        Native.Check(status, what);
        return new Image(handle, what);
    }

    /// <summary>Draws a rectangle outline (or a filled one when <paramref name="thickness"/> is
    /// negative); parts outside the image are clipped.</summary>
    public void DrawRectangle(PixelBox box, Rgb colour, int thickness = 2) =>
        Native.Check(NativeMethods.qcv_draw_rect(_handle, box, colour.R, colour.G, colour.B, thickness), $"draw {box} on {Source}");

    /// <summary>Draws text with its baseline starting at (x, y).</summary>
    public void DrawText(string text, int x, int y, Rgb colour, double scale = 0.5) =>
        Native.Check(NativeMethods.qcv_draw_text(_handle, text, x, y, scale, colour.R, colour.G, colour.B), $"draw text on {Source}");

    /// <summary>The pixels row by row, channels interleaved in BGR(A) order, no padding.</summary>
    public unsafe byte[] GetPixels()
    {
        var pixels = new byte[(long)Width * Height * Channels];
        fixed (byte* p = pixels)
            Native.Check(NativeMethods.qcv_copy_pixels(_handle, p, pixels.LongLength), $"read pixels of {Source}");
        return pixels;
    }

    /// <summary>Frees the native pixels (unless a crop still shares them).</summary>
    public void Dispose() => _handle.Dispose();
}
