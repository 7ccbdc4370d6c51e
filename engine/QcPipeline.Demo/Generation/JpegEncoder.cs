using OpenCvSharp;

namespace QcPipeline.Demo.Generation;

/// <summary>
/// Real JPEG pixels for generated photos, encoded by OpenCV (its libjpeg: baseline, 4:4:4, IJG quality scaling). It hands
/// back the frame without OpenCV's own JFIF header: the tables, the frame header and the scan, which the caller
/// puts after SOI and its metadata segments (EXIF first, as cameras write it).
/// </summary>
public static class JpegEncoder
{
    private const byte Sof0 = 0xC0, Sos = 0xDA, FirstRestart = 0xD0, LastRestart = 0xD7;

    // OpenCV's IMWRITE_JPEG_SAMPLING_FACTOR and its 4:4:4 value, which OpenCvSharp's enum does not name: full
    // chroma, so small drawn pictures keep their colour edges (4:2:0, OpenCV's default, blurs them).
    private const ImwriteFlags JpegSamplingFactor = (ImwriteFlags)7;
    private const int Sampling444 = 0x111111;

    /// <summary>Pixels of an RGB image, row by row, three bytes a pixel.</summary>
    public sealed record Rgb(int Width, int Height, byte[] Pixels)
    {
        /// <summary>An image whose pixel (x, y) is <paramref name="pixel"/>(x, y).</summary>
        public static Rgb Create(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
        {
            var p = new byte[width * height * 3];
            for (var y = 0; y < height; y++)
                for (var x = 0; x < width; x++)
                {
                    var (r, g, b) = pixel(x, y);
                    var i = (y * width + x) * 3;
                    p[i] = r; p[i + 1] = g; p[i + 2] = b;
                }
            return new Rgb(width, height, p);
        }
    }

    /// <summary>One encoded frame: everything between SOI and EOI except application segments.</summary>
    /// <param name="Tables">DQT, SOF0, DHT, DRI (with a restart interval) and the SOS header.</param>
    /// <param name="Scan">The entropy-coded data.</param>
    /// <param name="HeightOffset">Where in <paramref name="Tables"/> SOF0 holds the image height (big-endian).</param>
    public sealed record Frame(byte[] Tables, byte[] Scan, int HeightOffset)
    {
        /// <summary>The tables with SOF0 saying the image is <paramref name="height"/> rows high.</summary>
        public byte[] TablesForHeight(int height)
        {
            if (height is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(height), "JPEG sides are 1..65535 pixels");
            var tables = (byte[])Tables.Clone();
            tables[HeightOffset] = (byte)(height >> 8);
            tables[HeightOffset + 1] = (byte)height;
            return tables;
        }

        /// <summary>The scan cut at its restart markers: each restart interval's data, without the markers, which
        /// a caller repeating intervals numbers anew.</summary>
        public List<byte[]> Intervals()
        {
            var intervals = new List<byte[]>();
            var start = 0;
            for (var i = 0; i + 1 < Scan.Length; i++)
                if (Scan[i] == 0xFF && Scan[i + 1] is >= FirstRestart and <= LastRestart)
                {
                    intervals.Add(Scan[start..i]);
                    start = i + 2;
                    i++;
                }
            intervals.Add(Scan[start..]);
            return intervals;
        }
    }

    /// <summary>Encodes <paramref name="image"/> at <paramref name="quality"/> (1..100); with a restart interval
    /// (in MCUs), the scan has a restart marker after every that many.</summary>
    public static Frame Encode(Rgb image, int quality = 85, int restartInterval = 0)
    {
        if (image.Width is < 1 or > 65535 || image.Height is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(image), "JPEG sides are 1..65535 pixels");
        byte[] jpeg;
        using (var rgb = Mat.FromPixelData(image.Height, image.Width, MatType.CV_8UC3, image.Pixels))
        using (var bgr = new Mat())
        {
            Cv2.CvtColor(rgb, bgr, ColorConversionCodes.RGB2BGR);
            Cv2.ImEncode(".jpg", bgr, out jpeg,
                new ImageEncodingParam(ImwriteFlags.JpegQuality, Math.Clamp(quality, 1, 100)),
                new ImageEncodingParam(ImwriteFlags.JpegRstInterval, restartInterval),
                new ImageEncodingParam(JpegSamplingFactor, Sampling444));
        }
        // SOI, then marker segments up to and including SOS, then the scan, then EOI.
        using var tables = new MemoryStream();
        var heightOffset = -1;
        var at = 2;
        while (true)
        {
            if (at + 4 > jpeg.Length || jpeg[at] != 0xFF) throw new InvalidOperationException("OpenCV wrote a JPEG this encoder cannot take apart");
            var marker = jpeg[at + 1];
            var length = (jpeg[at + 2] << 8) | jpeg[at + 3];
            var isApplication = marker is >= 0xE0 and <= 0xEF; // JFIF: the caller writes its own metadata
            if (marker == Sof0) heightOffset = (int)tables.Length + 5; // FF C0, length (2), precision (1), then height
            if (!isApplication) tables.Write(jpeg, at, 2 + length);
            at += 2 + length;
            if (marker == Sos) break;
        }
        if (heightOffset < 0) throw new InvalidOperationException("OpenCV wrote no baseline frame (SOF0)");
        return new Frame(tables.ToArray(), jpeg[at..^2], heightOffset);
    }

    /// <summary>Writes a marker segment: FF, marker, big-endian length, body.</summary>
    public static void Segment(Stream output, byte marker, Action<Stream> body)
    {
        using var s = new MemoryStream();
        body(s);
        if (s.Length + 2 > 65535) throw new ArgumentException($"segment 0xFF{marker:X2} is longer than 65533 bytes");
        output.WriteByte(0xFF); output.WriteByte(marker);
        output.WriteByte((byte)((s.Length + 2) >> 8)); output.WriteByte((byte)(s.Length + 2));
        s.Position = 0;
        s.CopyTo(output);
    }
}
