using OpenCvSharp;

namespace QcPipeline.Vision;

/// <summary>Process-wide OpenCV settings, applied once before the first OpenCV call.</summary>
public static class VisionRuntime
{
    private static readonly Lazy<bool> Initialised = new(Initialise, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>OpenCV's own thread pool size set at start: 0, every OpenCV call runs on the worker that made it.
    /// Measured on 2 shared cores, DeepPCB tiled diff, 2 workers, 100 boards: 0 gave 100/93/47 boards/s over three
    /// runs, 1 gave 38/47/46, the default pool 61/90/46 (noisy machine). Per-ROI work is too small for OpenCV's
    /// pool to pay off, and its threads compete with our workers. QC_OPENCV_THREADS overrides it (-1: OpenCV's default).</summary>
    public const int RecommendedThreads = 0;

    internal static void EnsureInitialised() => _ = Initialised.Value;

    private static bool Initialise()
    {
        // OpenCV prints its warnings ("PNG input buffer is incomplete", ...) on stderr itself; our errors say it
        // in one line instead, so its logger stays silent.
        Cv2.SetLogLevel(OpenCvSharp.LogLevel.SILENT);
        var threads = int.TryParse(Environment.GetEnvironmentVariable("QC_OPENCV_THREADS"), out var n) ? n : RecommendedThreads;
        Cv2.SetNumThreads(threads);
        return true;
    }

    /// <summary>OpenCV's current thread count (cv::getNumThreads).</summary>
    public static int Threads => Cv.Run("get OpenCV threads", Cv2.GetNumThreads);

    /// <summary>Sets OpenCV's thread pool size: 0 = sequential on the calling thread; n &gt; 0 = a pool of n;
    /// negative = OpenCV's default (all cores). Process-wide: for benchmarks and tests, not for stages.</summary>
    public static void SetThreads(int threads) => Cv.Run("set OpenCV threads", () => Cv2.SetNumThreads(threads));

    /// <summary>The OpenCV version the binding runs against, e.g. "4.13.0".</summary>
    public static string OpenCvVersion => Cv.Run("get OpenCV version", () => Cv2.GetVersionString() ?? "");
}
