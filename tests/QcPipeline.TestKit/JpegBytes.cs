using System.Text;

namespace QcPipeline.TestKit;

/// <summary>
/// JPEG-shaped byte strings built marker by marker, for the tests of the header walk and of what reads headers:
/// SOI, segments (marker, big-endian length that counts itself, payload), SOS, image data, EOI. Nothing here
/// encodes pixels; real images come from the engine's generator.
/// </summary>
public static class JpegBytes
{
    public static readonly byte[] Soi = [0xFF, 0xD8];
    public static readonly byte[] Eoi = [0xFF, 0xD9];

    /// <summary>One segment: FF, the marker, the length (payload + 2), the payload.</summary>
    public static byte[] Segment(byte marker, byte[] payload) =>
        [0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload];

    /// <summary>A segment whose payload is <paramref name="length"/> bytes of <paramref name="fill"/>.</summary>
    public static byte[] Segment(byte marker, int length, byte fill) => Segment(marker, Enumerable.Repeat(fill, length).ToArray());

    /// <summary>A payload of <paramref name="length"/> bytes: the ASCII signature ("Exif\0\0", XMP's namespace…), then fill.</summary>
    public static byte[] Payload(string signature, int length, byte fill) =>
        [.. Encoding.ASCII.GetBytes(signature), .. Enumerable.Repeat(fill, length - signature.Length)];

    /// <summary><paramref name="jpeg"/> with an APP1 segment of <paramref name="payload"/> inserted right after its SOI.</summary>
    public static byte[] WithApp1(byte[] jpeg, byte[] payload) => [.. jpeg[..2], .. Segment(0xE1, payload), .. jpeg[2..]];

    /// <summary>SOI, an APP1 of <paramref name="payload"/>, an empty SOS, EOI: the smallest file a header walk reads whole.</summary>
    public static byte[] App1Only(byte[] payload) => [.. Soi, .. Segment(0xE1, payload), 0xFF, 0xDA, 0, 2, .. Eoi];

    /// <summary>SOI, an APP1 of <paramref name="metadataBytes"/> random bytes after "Exif\0\0", a small DQT/SOF0,
    /// SOS and <paramref name="imageBytes"/> of random image data (no marker inside), EOI.</summary>
    public static byte[] Random(Random random, int metadataBytes, int imageBytes)
    {
        var app1 = Segment(0xE1, [.. "Exif\0\0"u8, .. RandomBytes(random, metadataBytes)]);
        var dqt = Segment(0xDB, RandomBytes(random, 65));
        var data = RandomBytes(random, imageBytes);
        for (var i = 0; i < data.Length; i++) if (data[i] == 0xFF) data[i] = 0xFE;
        return [.. Soi, .. app1, .. dqt, .. Segment(0xC0, [8, 0, 16, 0, 16, 1, 1, 0x11, 0]), .. Segment(0xDA, [1, 1, 0, 0, 63, 0]), .. data, .. Eoi];
    }

    /// <summary>What a header fetch must return for a file: SOI, the segments before SOS, EOI.</summary>
    public static byte[] ExpectedHeader(byte[] file)
    {
        var sos = 2;
        while (!(file[sos] == 0xFF && file[sos + 1] == 0xDA)) sos += 2 + ((file[sos + 2] << 8) | file[sos + 3]);
        return [.. file.AsSpan(0, sos), .. Eoi];
    }

    private static byte[] RandomBytes(Random random, int n)
    {
        var b = new byte[n];
        random.NextBytes(b);
        return b;
    }
}
