using System.Globalization;
using OpenCvSharp;

namespace QcPipeline.Vision;

/// <summary>What an image may be before it is decoded.</summary>
/// <param name="MaxPixels">Refuse images with more pixels than this (read from the header, before decoding).</param>
/// <param name="ExpectedWidth">When above 0, refuse an image of another size (its golden's width).</param>
/// <param name="ExpectedHeight">The golden's height.</param>
public sealed record DecodeLimits(long MaxPixels = DecodeLimits.DefaultMaxPixels, int ExpectedWidth = 0, int ExpectedHeight = 0)
{
    /// <summary>100 megapixels: above the largest camera frames an inspection line takes (a 100 MP grey image is
    /// 100 MB decoded, 300 MB in colour), far below a decompression bomb (30000x30000 = 900 MP from 875 KB).</summary>
    public const long DefaultMaxPixels = 100_000_000;

    /// <summary>The defaults.</summary>
    public static DecodeLimits Default { get; } = new();
}

public sealed partial class Image
{
    /// <summary>Decodes JPEG, PNG, BMP, GIF, WebP, TIFF or PNM with OpenCV. The size is read from the header
    /// first: an image over <see cref="DecodeLimits.MaxPixels"/>, or of another size than expected, is refused
    /// before any pixel is decoded. PNG chunks libpng would warn about on stderr are dropped first.</summary>
    /// <param name="bytes">The encoded image.</param>
    /// <param name="mode">Colour, grey or unchanged.</param>
    /// <param name="source">A name for error messages (e.g. the file path).</param>
    /// <param name="limits">Size limits (default: <see cref="DecodeLimits.Default"/>).</param>
    /// <exception cref="VisionException">Empty, not an image, damaged, too large or of the wrong size.</exception>
    public static Image Decode(ReadOnlySpan<byte> bytes, ImageReadMode mode = ImageReadMode.Color, string source = "image bytes", DecodeLimits? limits = null)
    {
        limits ??= DecodeLimits.Default;
        if (bytes.IsEmpty) throw new VisionException($"decode {source}: not a decodable image (the file is empty)", VisionErrorKind.Decode);
        if (ImageHeader.TryRead(bytes, out var problem) is not { } header)
            throw new VisionException($"decode {source}: not a decodable image ({problem})", VisionErrorKind.Decode);
        CheckSize(header, limits, source);
        byte[]? clean = null;
        if (header.Format == ImageFormat.Png)
        {
            clean = PngChunks.WithoutAncillary(bytes, out problem);
            if (problem is not null) throw new VisionException($"decode {source}: not a decodable image ({problem})", VisionErrorKind.Decode);
        }
        var flags = mode switch
        {
            ImageReadMode.Grayscale => ImreadModes.Grayscale,
            ImageReadMode.Unchanged => ImreadModes.Unchanged,
            _ => ImreadModes.Color,
        };
        var mat = clean is null ? DecodeBytes(bytes, flags, source) : DecodeBytes(clean, flags, source);
        if (mat.Empty())
        {
            mat.Dispose();
            throw new VisionException($"decode {source}: not a decodable image ({header.Format.ToString().ToUpperInvariant()} of {header.Width}x{header.Height} per its header, but its data is damaged or cut short)",
                VisionErrorKind.Decode);
        }
        mat = Normalise(mat);
        if (limits.ExpectedWidth > 0 && (mat.Cols != limits.ExpectedWidth || mat.Rows != limits.ExpectedHeight))
        {
            var (w, h) = (mat.Cols, mat.Rows);
            mat.Dispose();
            throw new VisionException($"decode {source}: the image is {w}x{h} but its golden is {limits.ExpectedWidth}x{limits.ExpectedHeight}", VisionErrorKind.TooLarge);
        }
        return new Image(mat, source);
    }

    private static Mat DecodeBytes(ReadOnlySpan<byte> data, ImreadModes flags, string source)
    {
        VisionRuntime.EnsureInitialised();
        try { return Cv2.ImDecode(data, flags); }
        catch (OpenCVException e) { throw new VisionException($"decode {source}: not a decodable image ({e.ErrMsg})", VisionErrorKind.Decode, e); }
    }

    /// <summary>8-bit with 1, 3 or 4 channels, whatever the file held (16-bit PNG/TIFF, 2-channel grey+alpha).</summary>
    private static Mat Normalise(Mat mat)
    {
        if (mat.Depth() == MatType.CV_8U && mat.Channels() is 1 or 3 or 4) return mat;
        using (mat)
        {
            var eight = new Mat();
            var scale = mat.Depth() == MatType.CV_16U ? 1.0 / 257 : mat.Depth() is 5 or 6 ? 255.0 : 1.0; // 5, 6: float, double in 0..1
            mat.ConvertTo(eight, MatType.CV_8UC(mat.Channels()), scale);
            if (eight.Channels() is 1 or 3 or 4) return eight;
            using (eight)
            {
                var grey = new Mat();
                Cv2.ExtractChannel(eight, grey, 0);
                return grey;
            }
        }
    }

    private static void CheckSize(ImageHeader header, DecodeLimits limits, string source)
    {
        if (header.Pixels > limits.MaxPixels)
            throw new VisionException(string.Create(CultureInfo.InvariantCulture,
                $"decode {source}: {header.Width}x{header.Height} ({header.Pixels / 1e6:0.#} megapixels) is over the limit of {limits.MaxPixels / 1e6:0.###} megapixels; refused before decoding"),
                VisionErrorKind.TooLarge);
        if (limits.ExpectedWidth <= 0) return;
        var same = (header.Width == limits.ExpectedWidth && header.Height == limits.ExpectedHeight)
                   || (header.MaySwapAxes && header.Width == limits.ExpectedHeight && header.Height == limits.ExpectedWidth);
        if (!same)
            throw new VisionException($"decode {source}: the image is {header.Width}x{header.Height} but its golden is {limits.ExpectedWidth}x{limits.ExpectedHeight}; refused before decoding",
                VisionErrorKind.TooLarge);
    }

    /// <summary>Reads and decodes an image file.</summary>
    /// <exception cref="VisionException">The file cannot be read or is not an image.</exception>
    public static Image Load(string path, ImageReadMode mode = ImageReadMode.Color, DecodeLimits? limits = null)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new VisionException($"read {path}: {e.Message}", VisionErrorKind.Io, e);
        }
        return Decode(bytes, mode, path, limits);
    }

    /// <summary>The size of an image file from its header alone (nothing is decoded).</summary>
    /// <exception cref="VisionException">The file cannot be read or its header is not one we read.</exception>
    public static ImageHeader ReadHeader(string path)
    {
        byte[] buffer;
        try { buffer = File.ReadAllBytes(path); } // a JPEG's frame header may follow megabytes of metadata
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new VisionException($"read {path}: {e.Message}", VisionErrorKind.Io, e);
        }
        return ImageHeader.TryRead(buffer, out var problem)
            ?? throw new VisionException($"read {path}: not a decodable image ({problem})", VisionErrorKind.Decode);
    }

    /// <summary>Encodes as PNG (lossless).</summary>
    public byte[] EncodePng() => Encode(".png", []);

    /// <summary>Encodes as JPEG at the given quality (1..100).</summary>
    public byte[] EncodeJpeg(int quality = 90) => Encode(".jpg", [new ImageEncodingParam(ImwriteFlags.JpegQuality, Math.Clamp(quality, 1, 100))]);

    private byte[] Encode(string extension, ImageEncodingParam[] options) =>
        Cv.Run($"encode {Source} as {extension}", () =>
        {
            Cv2.ImEncode(extension, Mat, out var bytes, options);
            return bytes.Length > 0 ? bytes : throw new VisionException($"encode {Source} as {extension}: OpenCV could not encode it", VisionErrorKind.OpenCv);
        });
}
