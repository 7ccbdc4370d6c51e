using System.Diagnostics;
using System.Runtime.InteropServices;
using OpenCvSharp;
using QcPipeline.Vision;

namespace QcPipeline.Bench;

/// <summary>
/// `decode`: the decode path, OpenCvSharp's imdecode (OpenCV 4.13 with its own libjpeg-turbo) against Debian's
/// libturbojpeg (2.1.5) called directly, on the same bytes in the same run: DeepPCB boards (640x640, grey and colour),
/// a DJI thermal frame (640x512 behind 700 KB of metadata), a 2448x3264 phone photo, and a generated 1920x1080 JPEG.
/// Rounds alternate between the two; the best round of each is kept. Pixels are compared too.
/// </summary>
public static unsafe class DecodeBench
{
    public static Task RunAsync(string[] args)
    {
        var shared = Path.GetFullPath(Path.Combine(Checkout.Root, "..", "shared", "data"));
        var files = new List<(string Name, byte[] Bytes)>();
        void Add(string name, string relative) { var p = Path.Combine(shared, relative); if (File.Exists(p)) files.Add((name, File.ReadAllBytes(p))); }
        var pairsFile = Path.Combine(shared, "pcb", "deeppcb", "PCBData", "pairs.txt");
        if (File.Exists(pairsFile))
        {
            var pair = QcPipeline.Vision.Evaluation.DeepPcbPairs.Read(pairsFile)[0];
            Add("DeepPCB test 640x640", pair.TestImage);
            Add("DeepPCB template 640x640", pair.TemplateImage);
        }
        if (Directory.Exists(Path.Combine(shared, "gps", "dji_zh20t")))
            Add("DJI thermal 640x512", Path.Combine("gps", "dji_zh20t", Path.GetFileName(Directory.GetFiles(Path.Combine(shared, "gps", "dji_zh20t"))[0])));
        Add("phone photo 2448x3264", "gps/phones_cameras/Nokia Lumia 800.jpg");
        using (var photo = Image.Create(1920, 1080, 3, 0))
        {
            var random = new Random(5);
            for (var i = 0; i < 400; i++)
                photo.DrawRectangle(new PixelBox(random.Next(1900), random.Next(1060), 10 + random.Next(200), 10 + random.Next(120)),
                    new Rgb((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), -1);
            files.Add(("generated 1920x1080 q90", photo.EncodeJpeg(90)));
        }
        var tj = tjInitDecompress();
        if (tj == IntPtr.Zero) throw new InvalidOperationException("libturbojpeg: tjInitDecompress failed");
        Cv2.SetNumThreads(0);
        Console.WriteLine("file | mode | imdecode ms | libturbojpeg ms | imdecode / libturbojpeg | max pixel difference");
        foreach (var (name, bytes) in files)
            foreach (var grey in new[] { true, false })
            {
                int w, h, sub, space;
                fixed (byte* p = bytes)
                    if (tjDecompressHeader3(tj, p, (nuint)bytes.Length, out w, out h, out sub, out space) != 0) continue;
                var n = Math.Max(3, (int)(40_000_000L / ((long)w * h)));
                using var turbo = new Mat(h, w, grey ? MatType.CV_8UC1 : MatType.CV_8UC3);
                double bestCv = double.MaxValue, bestTj = double.MaxValue;
                Mat? cv = null;
                for (var round = 0; round < 9; round++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    for (var k = 0; k < n; k++) { cv?.Dispose(); cv = Cv2.ImDecode(bytes, grey ? ImreadModes.Grayscale : ImreadModes.Color); }
                    bestCv = Math.Min(bestCv, Stopwatch.GetElapsedTime(t0).TotalMilliseconds / n);
                    t0 = Stopwatch.GetTimestamp();
                    for (var k = 0; k < n; k++)
                        fixed (byte* p = bytes)
                            tjDecompress2(tj, p, (nuint)bytes.Length, turbo.Data, w, 0, h, grey ? 6 : 1, 0); // TJPF_GRAY 6, TJPF_BGR 1
                    bestTj = Math.Min(bestTj, Stopwatch.GetElapsedTime(t0).TotalMilliseconds / n);
                }
                using var diff = new Mat();
                Cv2.Absdiff(cv!, turbo, diff);
                Cv2.MinMaxLoc(diff.Reshape(1), out _, out double most);
                cv!.Dispose();
                Console.WriteLine(FormattableString.Invariant($"{name} | {(grey ? "grey" : "colour")} | {bestCv:F2} | {bestTj:F2} | {bestCv / bestTj:F2} | {most}"));
            }
        tjDestroy(tj);
        return Task.CompletedTask;
    }

    [DllImport("libturbojpeg.so.0")] private static extern IntPtr tjInitDecompress();
    [DllImport("libturbojpeg.so.0")] private static extern int tjDestroy(IntPtr handle);
    [DllImport("libturbojpeg.so.0")] private static extern int tjDecompressHeader3(IntPtr handle, byte* jpeg, nuint size, out int width, out int height, out int subsampling, out int colorspace);
    [DllImport("libturbojpeg.so.0")] private static extern int tjDecompress2(IntPtr handle, byte* jpeg, nuint size, IntPtr dst, int width, int pitch, int height, int pixelFormat, int flags);
}
