namespace QcPipeline.Demo.Generation;

/// <summary>
/// A small baseline JPEG encoder (8-bit YCbCr 4:4:4, the standard tables of ITU T.81 Annex K, optional restart
/// markers), so the project can write real JPEGs for tests, demos and benchmarks without a native library.
/// It writes the frame: tables, SOF0, the scan; the caller adds SOI, metadata segments and EOI.
/// </summary>
public static class JpegEncoder
{
    private static readonly byte[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    // Annex K.1: the example quantisation tables (natural order), scaled by quality as the IJG library does.
    private static readonly byte[] LumaQ =
    [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];

    private static readonly byte[] ChromaQ =
    [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    ];

    // Annex K.3: the typical Huffman tables (code counts per length 1..16, then the symbols).
    private static readonly byte[] DcLumaBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] DcChromaBits = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    private static readonly byte[] DcValues = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    private static readonly byte[] AcLumaBits = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
    private static readonly byte[] AcLumaValues =
    [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
        0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
        0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
        0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
        0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
        0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
        0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ];
    private static readonly byte[] AcChromaBits = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
    private static readonly byte[] AcChromaValues =
    [
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91,
        0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
        0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
        0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
        0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
        0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
        0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ];

    private static readonly Huffman DcLuma = new(DcLumaBits, DcValues), DcChroma = new(DcChromaBits, DcValues);
    private static readonly Huffman AcLuma = new(AcLumaBits, AcLumaValues), AcChroma = new(AcChromaBits, AcChromaValues);

    // cos((2x+1)uπ/16) scaled by C(u)/2, for the separable forward DCT.
    private static readonly double[] Cos = BuildCos();

    private static double[] BuildCos()
    {
        var c = new double[64];
        for (var u = 0; u < 8; u++)
            for (var x = 0; x < 8; x++)
                c[u * 8 + x] = (u == 0 ? Math.Sqrt(0.5) : 1.0) / 2 * Math.Cos((2 * x + 1) * u * Math.PI / 16);
        return c;
    }

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

    /// <summary>DQT, SOF0, DHT, (DRI,) SOS and the entropy-coded data of <paramref name="image"/>.</summary>
    public static byte[] EncodeFrame(Rgb image, int quality = 85, int restartInterval = 0)
    {
        using var output = new MemoryStream();
        WriteTables(output, image.Width, image.Height, quality, restartInterval);
        var scan = EncodeScan(image, quality, restartInterval, out _);
        output.Write(scan);
        return output.ToArray();
    }

    /// <summary>The segments before the scan data: quantisation and Huffman tables, frame, restart interval, scan header.</summary>
    public static void WriteTables(Stream output, int width, int height, int quality, int restartInterval)
    {
        if (width is < 1 or > 65535 || height is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(width), "JPEG sides are 1..65535 pixels");
        var (lq, cq) = (Scaled(LumaQ, quality), Scaled(ChromaQ, quality));
        // DQT: both tables, in zig-zag order.
        Segment(output, 0xDB, s =>
        {
            s.WriteByte(0); foreach (var k in ZigZag) s.WriteByte(lq[k]);
            s.WriteByte(1); foreach (var k in ZigZag) s.WriteByte(cq[k]);
        });
        Segment(output, 0xC0, s =>
        {
            s.WriteByte(8);
            WriteU16(s, height); WriteU16(s, width);
            s.WriteByte(3);
            s.Write([1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]); // Y, Cb, Cr: 1×1 sampling; tables 0, 1, 1
        });
        Segment(output, 0xC4, s =>
        {
            foreach (var (cls, bits, values) in new[] { (0x00, DcLumaBits, DcValues), (0x10, AcLumaBits, AcLumaValues),
                         (0x01, DcChromaBits, DcValues), (0x11, AcChromaBits, AcChromaValues) })
            {
                s.WriteByte((byte)cls); s.Write(bits); s.Write(values);
            }
        });
        if (restartInterval > 0) Segment(output, 0xDD, s => WriteU16(s, restartInterval));
        Segment(output, 0xDA, s => s.Write([3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]));
    }

    /// <summary>
    /// The entropy-coded data alone. With a restart interval, each interval ends with its RSTn marker, the
    /// last one too (<paramref name="endsWithRestart"/>), so that whole bands of MCU rows can be repeated to
    /// make a large image cheaply: a run of 8 intervals repeats its marker sequence exactly.
    /// </summary>
    public static byte[] EncodeScan(Rgb image, int quality, int restartInterval, out bool endsWithRestart)
    {
        var (lq, cq) = (Scaled(LumaQ, quality), Scaled(ChromaQ, quality));
        var bits = new BitWriter();
        int mcusX = (image.Width + 7) / 8, mcusY = (image.Height + 7) / 8, total = mcusX * mcusY;
        Span<double> y = stackalloc double[64], cb = stackalloc double[64], cr = stackalloc double[64];
        int predY = 0, predCb = 0, predCr = 0, restarts = 0;
        endsWithRestart = false;
        for (var m = 0; m < total; m++)
        {
            int bx = m % mcusX * 8, by = m / mcusX * 8;
            for (var j = 0; j < 8; j++)
                for (var i = 0; i < 8; i++)
                {
                    // Edge blocks repeat the last row/column, as encoders usually do.
                    int px = Math.Min(bx + i, image.Width - 1), py = Math.Min(by + j, image.Height - 1);
                    var p = (py * image.Width + px) * 3;
                    double r = image.Pixels[p], g = image.Pixels[p + 1], b = image.Pixels[p + 2];
                    y[j * 8 + i] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
                    cb[j * 8 + i] = -0.168736 * r - 0.331264 * g + 0.5 * b;
                    cr[j * 8 + i] = 0.5 * r - 0.418688 * g - 0.081312 * b;
                }
            predY = Block(bits, y, lq, predY, DcLuma, AcLuma);
            predCb = Block(bits, cb, cq, predCb, DcChroma, AcChroma);
            predCr = Block(bits, cr, cq, predCr, DcChroma, AcChroma);
            if (restartInterval > 0 && (m + 1) % restartInterval == 0)
            {
                bits.Flush();
                bits.Marker((byte)(0xD0 + restarts % 8));
                restarts++;
                predY = predCb = predCr = 0;
                endsWithRestart = m + 1 == total;
            }
        }
        bits.Flush();
        return bits.ToArray();
    }

    private static int Block(BitWriter bits, Span<double> samples, byte[] q, int pred, Huffman dc, Huffman ac)
    {
        Span<double> tmp = stackalloc double[64];
        Span<int> coef = stackalloc int[64];
        // Separable DCT: rows, then columns.
        for (var j = 0; j < 8; j++)
            for (var u = 0; u < 8; u++)
            {
                double s = 0;
                for (var x = 0; x < 8; x++) s += Cos[u * 8 + x] * samples[j * 8 + x];
                tmp[j * 8 + u] = s;
            }
        for (var u = 0; u < 8; u++)
            for (var v = 0; v < 8; v++)
            {
                double s = 0;
                for (var yy = 0; yy < 8; yy++) s += Cos[v * 8 + yy] * tmp[yy * 8 + u];
                coef[v * 8 + u] = (int)Math.Round(s / q[v * 8 + u]);
            }
        var diff = coef[0] - pred;
        var size = Magnitude(diff);
        dc.Emit(bits, size);
        if (size > 0) bits.Write(Amplitude(diff, size), size);
        var run = 0;
        for (var k = 1; k < 64; k++)
        {
            var c = coef[ZigZag[k]];
            if (c == 0) { run++; continue; }
            while (run > 15) { ac.Emit(bits, 0xF0); run -= 16; }
            var s = Magnitude(c);
            ac.Emit(bits, (run << 4) | s);
            bits.Write(Amplitude(c, s), s);
            run = 0;
        }
        if (run > 0) ac.Emit(bits, 0x00);
        return coef[0];
    }

    private static int Magnitude(int v)
    {
        v = Math.Abs(v);
        var n = 0;
        while (v > 0) { n++; v >>= 1; }
        return n;
    }

    // Negative values are sent as their ones' complement in `size` bits.
    private static int Amplitude(int v, int size) => v >= 0 ? v : v + (1 << size) - 1;

    private static byte[] Scaled(byte[] table, int quality)
    {
        quality = Math.Clamp(quality, 1, 100);
        var scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
        return table.Select(t => (byte)Math.Clamp((t * scale + 50) / 100, 1, 255)).ToArray();
    }

    /// <summary>Writes a marker segment: FF, marker, big-endian length, body.</summary>
    public static void Segment(Stream output, byte marker, Action<Stream> body)
    {
        using var s = new MemoryStream();
        body(s);
        if (s.Length + 2 > 65535) throw new ArgumentException($"segment 0xFF{marker:X2} is longer than 65533 bytes");
        output.WriteByte(0xFF); output.WriteByte(marker);
        WriteU16(output, (int)s.Length + 2);
        s.Position = 0;
        s.CopyTo(output);
    }

    private static void WriteU16(Stream s, int v) { s.WriteByte((byte)(v >> 8)); s.WriteByte((byte)v); }

    /// <summary>Canonical Huffman codes from counts per length (Annex C).</summary>
    private sealed class Huffman
    {
        private readonly int[] _code = new int[256];
        private readonly int[] _length = new int[256];

        public Huffman(byte[] bits, byte[] values)
        {
            int code = 0, k = 0;
            for (var len = 1; len <= 16; len++)
            {
                for (var i = 0; i < bits[len - 1]; i++)
                {
                    _code[values[k]] = code;
                    _length[values[k]] = len;
                    code++; k++;
                }
                code <<= 1;
            }
        }

        public void Emit(BitWriter w, int symbol) => w.Write(_code[symbol], _length[symbol]);
    }

    /// <summary>Big-endian bit packing with 0xFF byte stuffing; the last byte is padded with ones.</summary>
    private sealed class BitWriter
    {
        private readonly MemoryStream _out = new();
        private int _acc, _count;

        public void Write(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                _acc = (_acc << 1) | ((value >> i) & 1);
                if (++_count == 8) Put();
            }
        }

        public void Flush()
        {
            if (_count == 0) return;
            while (_count < 8) { _acc = (_acc << 1) | 1; _count++; }
            Put();
        }

        public void Marker(byte marker) { _out.WriteByte(0xFF); _out.WriteByte(marker); }

        private void Put()
        {
            _out.WriteByte((byte)_acc);
            if (_acc == 0xFF) _out.WriteByte(0);
            _acc = 0; _count = 0;
        }

        public byte[] ToArray() => _out.ToArray();
    }
}
