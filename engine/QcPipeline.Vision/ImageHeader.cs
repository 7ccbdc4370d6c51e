using System.Buffers.Binary;
using System.Text;

namespace QcPipeline.Vision;

/// <summary>The container formats whose size <see cref="ImageHeader"/> reads.</summary>
public enum ImageFormat
{
    /// <summary>JPEG (SOF marker).</summary>
    Jpeg,
    /// <summary>PNG (IHDR chunk).</summary>
    Png,
    /// <summary>Windows bitmap (BITMAPINFOHEADER or the older core header).</summary>
    Bmp,
    /// <summary>GIF87a or GIF89a (logical screen).</summary>
    Gif,
    /// <summary>WebP in a RIFF container (VP8, VP8L or VP8X).</summary>
    WebP,
    /// <summary>TIFF, either byte order (first IFD).</summary>
    Tiff,
    /// <summary>Netpbm P1 to P6.</summary>
    Pnm,
}

/// <summary>
/// An image's format and size read from its first bytes, before any decoder sees it: a 900-megapixel PNG of
/// 875 KB is refused here instead of being inflated. Each reader takes only the fields that give the size and
/// checks every offset against the buffer, so a cut or hostile header ends as "cannot read" rather than a throw.
/// </summary>
/// <param name="Format">The container format.</param>
/// <param name="Width">Width in pixels as stored.</param>
/// <param name="Height">Height in pixels as stored.</param>
public readonly record struct ImageHeader(ImageFormat Format, int Width, int Height)
{
    /// <summary>The eight bytes every PNG starts with.</summary>
    public static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Pixels in the image.</summary>
    public long Pixels => (long)Width * Height;

    /// <summary>JPEGs may carry an EXIF orientation that swaps width and height when decoded.</summary>
    public bool MaySwapAxes => Format == ImageFormat.Jpeg;

    /// <summary>Reads the header, or returns null (with the reason) when the format is unknown or the header unreadable.</summary>
    public static ImageHeader? TryRead(ReadOnlySpan<byte> d, out string? problem)
    {
        problem = null;
        ImageHeader? h =
            d.StartsWith(PngSignature) ? Png(d)
            : d.Length >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF ? Jpeg(d)
            : d.StartsWith("BM"u8) ? Bmp(d)
            : d.StartsWith("GIF87a"u8) || d.StartsWith("GIF89a"u8) ? Gif(d)
            : d.Length >= 12 && d.StartsWith("RIFF"u8) && d[8..12].SequenceEqual("WEBP"u8) ? WebP(d)
            : d.StartsWith("II*\0"u8) || d.StartsWith("MM\0*"u8) ? Tiff(d)
            : d.Length >= 2 && d[0] == 'P' && d[1] is >= (byte)'1' and <= (byte)'6' ? Pnm(d)
            : null;
        if (h is null) problem = Known(d) ? "its header is cut short or malformed" : "not a JPEG, PNG, BMP, GIF, WebP, TIFF or PNM image";
        else if (h.Value.Width <= 0 || h.Value.Height <= 0) { problem = $"its header gives a size of {h.Value.Width}x{h.Value.Height}"; h = null; }
        return h;
    }

    private static bool Known(ReadOnlySpan<byte> d) =>
        d.StartsWith(PngSignature.AsSpan(0, 4)) || (d.Length >= 2 && d[0] == 0xFF && d[1] == 0xD8) || d.StartsWith("BM"u8) || d.StartsWith("GIF8"u8)
        || d.StartsWith("RIFF"u8) || d.StartsWith("II*\0"u8) || d.StartsWith("MM\0*"u8);

    // IHDR is the first chunk: width and height are big-endian at 16 and 20.
    private static ImageHeader? Png(ReadOnlySpan<byte> d) =>
        d.Length >= 24 && d[12..16].SequenceEqual("IHDR"u8)
            ? Make(ImageFormat.Png, BinaryPrimitives.ReadUInt32BigEndian(d[16..]), BinaryPrimitives.ReadUInt32BigEndian(d[20..])) : null;

    // Markers up to the first start-of-frame (SOF0..SOF15 but DHT C4, JPG C8, DAC CC); SOF holds height then width.
    private static ImageHeader? Jpeg(ReadOnlySpan<byte> d)
    {
        var pos = 2;
        while (pos + 4 <= d.Length)
        {
            if (d[pos] != 0xFF) return null;
            var marker = d[pos + 1];
            if (marker == 0xFF) { pos++; continue; } // fill bytes
            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7)) { pos += 2; continue; } // no length
            if (marker is 0xD9 or 0xDA) return null; // image data before any frame header
            var length = BinaryPrimitives.ReadUInt16BigEndian(d[(pos + 2)..]);
            if (length < 2) return null;
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                return pos + 9 <= d.Length
                    ? Make(ImageFormat.Jpeg, BinaryPrimitives.ReadUInt16BigEndian(d[(pos + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(d[(pos + 5)..]))
                    : null;
            pos += 2 + length;
        }
        return null;
    }

    // BITMAPCOREHEADER (12 bytes: 16-bit sizes) or a later info header (32-bit; a negative height is top-down).
    private static ImageHeader? Bmp(ReadOnlySpan<byte> d)
    {
        if (d.Length < 26) return null;
        var size = BinaryPrimitives.ReadUInt32LittleEndian(d[14..]);
        if (size == 12) return Make(ImageFormat.Bmp, BinaryPrimitives.ReadUInt16LittleEndian(d[18..]), BinaryPrimitives.ReadUInt16LittleEndian(d[20..]));
        var h = BinaryPrimitives.ReadInt32LittleEndian(d[22..]);
        return Make(ImageFormat.Bmp, BinaryPrimitives.ReadInt32LittleEndian(d[18..]), h == int.MinValue ? 0 : Math.Abs(h));
    }

    private static ImageHeader? Gif(ReadOnlySpan<byte> d) => d.Length >= 10
        ? Make(ImageFormat.Gif, BinaryPrimitives.ReadUInt16LittleEndian(d[6..]), BinaryPrimitives.ReadUInt16LittleEndian(d[8..])) : null;

    // VP8 (lossy): 14-bit sizes after the key-frame start code; VP8L: 14-bit sizes minus one; VP8X: 24-bit canvas minus one.
    private static ImageHeader? WebP(ReadOnlySpan<byte> d)
    {
        if (d.Length < 30) return null;
        var chunk = d[12..16];
        if (chunk.SequenceEqual("VP8 "u8) && d[23] == 0x9D && d[24] == 0x01 && d[25] == 0x2A)
            return Make(ImageFormat.WebP, BinaryPrimitives.ReadUInt16LittleEndian(d[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(d[28..]) & 0x3FFF);
        if (chunk.SequenceEqual("VP8L"u8) && d[20] == 0x2F)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(d[21..]);
            return Make(ImageFormat.WebP, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
        }
        if (chunk.SequenceEqual("VP8X"u8))
            return Make(ImageFormat.WebP, (d[24] | d[25] << 8 | d[26] << 16) + 1, (d[27] | d[28] << 8 | d[29] << 16) + 1);
        return null;
    }

    // The first IFD's ImageWidth (256) and ImageLength (257), SHORT or LONG.
    private static ImageHeader? Tiff(ReadOnlySpan<byte> d)
    {
        var little = d[0] == 'I';
        if (d.Length < 8) return null;
        var ifd = U32(d, 4, little);
        if (ifd > int.MaxValue - 2 || ifd + 2 > d.Length) return null;
        var count = U16(d, (int)ifd, little);
        long width = -1, height = -1;
        for (var i = 0; i < count; i++)
        {
            var entry = (int)ifd + 2 + 12 * i;
            if (entry + 12 > d.Length) return null;
            var tag = U16(d, entry, little);
            long value = U16(d, entry + 2, little) == 3 ? U16(d, entry + 8, little) : U32(d, entry + 8, little);
            if (tag == 256) width = value;
            else if (tag == 257) height = value;
        }
        return width < 0 || height < 0 ? null : Make(ImageFormat.Tiff, width, height);
    }

    private static uint U32(ReadOnlySpan<byte> d, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(d[at..]) : BinaryPrimitives.ReadUInt32BigEndian(d[at..]);

    private static ushort U16(ReadOnlySpan<byte> d, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(d[at..]) : BinaryPrimitives.ReadUInt16BigEndian(d[at..]);

    // "P5 640 480 255": whitespace-separated ASCII numbers, '#' comments to the end of the line.
    private static ImageHeader? Pnm(ReadOnlySpan<byte> d)
    {
        var text = Encoding.ASCII.GetString(d[..Math.Min(d.Length, 512)]);
        var numbers = new List<long>();
        var i = 2;
        while (i < text.Length && numbers.Count < 2)
        {
            var c = text[i];
            if (c == '#') { while (i < text.Length && text[i] != '\n') i++; continue; }
            if (char.IsAsciiDigit(c))
            {
                long v = 0;
                while (i < text.Length && char.IsAsciiDigit(text[i]) && v < int.MaxValue) v = v * 10 + (text[i++] - '0');
                numbers.Add(v);
                continue;
            }
            if (!char.IsWhiteSpace(c)) return null;
            i++;
        }
        return numbers.Count == 2 ? Make(ImageFormat.Pnm, numbers[0], numbers[1]) : null;
    }

    private static ImageHeader Make(ImageFormat format, long width, long height) =>
        new(format, (int)Math.Clamp(width, -1, int.MaxValue), (int)Math.Clamp(height, -1, int.MaxValue));
}
