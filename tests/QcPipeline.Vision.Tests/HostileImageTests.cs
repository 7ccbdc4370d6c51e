using System.Buffers.Binary;
using System.IO.Compression;
using QcPipeline.Vision;
using Xunit;

namespace QcPipeline.Vision.Tests;

/// <summary>Decompression bombs, images of the wrong size and codec chatter: refused or quiet, from the header.</summary>
public class HostileImageTests
{
    /// <summary>A real PNG of the given size whose rows are all zero (it compresses to almost nothing).</summary>
    private static byte[] ZeroPng(int width, int height, int rows, params (string Type, byte[] Data)[] extra)
    {
        var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[width + 1];
            for (var y = 0; y < rows; y++) z.Write(row);
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // 8-bit grey
        var png = new MemoryStream();
        png.Write(ImageHeader.PngSignature);
        Chunk(png, "IHDR", ihdr);
        foreach (var (type, data) in extra) Chunk(png, type, data);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        s.Write(head);
        s.Write(data);
        var crc = Crc32([.. head.AsSpan(4).ToArray(), .. data]);
        var tail = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        s.Write(tail);
    }

    /// <summary>PNG's CRC-32 (polynomial 0xEDB88320), bit by bit: test data only.</summary>
    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void A_png_bomb_is_refused_from_its_header_before_decoding()
    {
        // 30000x30000 pixels declared; only a few rows of data, so a decoder would allocate 900 MB first.
        var bomb = ZeroPng(30000, 30000, rows: 10);
        Assert.True(bomb.Length < 10_000);
        var e = Assert.Throws<VisionException>(() => Image.Decode(bomb, ImageReadMode.Grayscale, "bomb.png"));
        Assert.Equal(VisionErrorKind.TooLarge, e.Kind);
        Assert.Contains("bomb.png: 30000x30000 (900 megapixels) is over the limit of 100 megapixels; refused before decoding", e.Message);
        // A limit of the caller's choosing applies the same way.
        var small = ZeroPng(200, 100, rows: 100);
        Assert.Throws<VisionException>(() => Image.Decode(small, limits: new DecodeLimits(MaxPixels: 10_000)));
        using var ok = Image.Decode(small, ImageReadMode.Grayscale, limits: new DecodeLimits(MaxPixels: 20_000));
        Assert.Equal((200, 100), (ok.Width, ok.Height));
    }

    [Fact]
    public void A_jpeg_and_a_bmp_declaring_huge_sizes_are_refused_too()
    {
        using var board = Fixtures.Board(64, 48, new PixelBox(8, 8, 20, 20));
        var jpeg = board.EncodeJpeg(90);
        var header = ImageHeader.TryRead(jpeg, out _)!.Value;
        Assert.Equal((ImageFormat.Jpeg, 64, 48), (header.Format, header.Width, header.Height));
        // Patch the frame header to 65000x65000.
        var sof = jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 65000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 65000);
        Assert.Equal(VisionErrorKind.TooLarge, Assert.Throws<VisionException>(() => Image.Decode(jpeg)).Kind);
        byte[] bmp = [(byte)'B', (byte)'M', 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 0x40, 0x9C, 0, 0, 0x40, 0x9C, 0, 0, 1, 0, 24, 0];
        Assert.Equal(VisionErrorKind.TooLarge, Assert.Throws<VisionException>(() => Image.Decode(bmp)).Kind); // 40000x40000
    }

    [Fact]
    public void An_image_of_another_size_than_its_golden_is_refused_before_decoding()
    {
        var png = ZeroPng(200, 100, rows: 100);
        var e = Assert.Throws<VisionException>(() => Image.Decode(png, source: "x.png", limits: new DecodeLimits(ExpectedWidth: 320, ExpectedHeight: 240)));
        Assert.Contains("x.png: the image is 200x100 but its golden is 320x240; refused before decoding", e.Message);
        using var same = Image.Decode(png, limits: new DecodeLimits(ExpectedWidth: 200, ExpectedHeight: 100));
        Assert.Equal(200, same.Width);
    }

    [Fact]
    public void Ancillary_png_chunks_libpng_would_warn_about_are_dropped_and_the_pixels_kept()
    {
        // A colour profile too short to be one: libpng prints "iCCP: too short" on stderr itself.
        var png = ZeroPng(16, 8, rows: 8, ("iCCP", "bad\0\0xx"u8.ToArray()), ("tEXt", "k\0v"u8.ToArray()));
        var clean = PngChunks.WithoutAncillary(png, out var problem);
        Assert.Null(problem);
        Assert.NotNull(clean);
        Assert.Equal(-1, clean.AsSpan().IndexOf("iCCP"u8));
        Assert.Equal(-1, clean.AsSpan().IndexOf("tEXt"u8));
        Assert.Null(PngChunks.WithoutAncillary(ZeroPng(16, 8, rows: 8), out _)); // nothing to drop: decoded as it is
        using var image = Image.Decode(png, ImageReadMode.Grayscale);
        Assert.All(image.GetPixels(), p => Assert.Equal(0, p));
    }

    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 })]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xDA, 0, 2 })]
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a', 0, 0, 0, 0 })]
    [InlineData(new byte[] { (byte)'P', (byte)'5', (byte)' ', (byte)'x' })]
    [InlineData(new byte[] { (byte)'I', (byte)'I', 42, 0, 0xFF, 0xFF, 0xFF, 0x7F })]
    public void Cut_or_hostile_headers_are_a_clear_decode_error(byte[] bytes)
    {
        var e = Assert.Throws<VisionException>(() => Image.Decode(bytes, source: "bad"));
        Assert.Equal(VisionErrorKind.Decode, e.Kind);
        Assert.StartsWith("decode bad: not a decodable image (", e.Message);
    }
}
