using System.Text;
using QcPipeline.Vision.Interop;

namespace QcPipeline.Vision;

/// <summary>Process-wide OpenCV settings.</summary>
public static class VisionRuntime
{
    /// <summary>Recommended OpenCV thread count when our own workers run checks in parallel:
    /// 0 (OpenCV runs sequentially on the calling worker). Measured on 2 shared cores, DeepPCB
    /// tiled diff, 2 workers, 100 boards: 0 gave 100/93/47 boards/s over three runs, 1 gave
    /// 38/47/46, the default pool 61/90/46 (the machine was shared, so runs are noisy). Per-ROI
    /// work is too small for OpenCV's pool to pay off, and its threads compete with ours.</summary>
    public const int RecommendedThreads = 0;

    /// <summary>Sets OpenCV's internal thread pool size (cv::setNumThreads): 0 = run every
    /// function sequentially on the calling thread; n &gt; 0 = a pool of n; negative = OpenCV's
    /// default (all cores).</summary>
    public static void SetThreads(int threads) => Native.Check(NativeMethods.qcv_set_threads(threads), "set OpenCV threads");

    /// <summary>OpenCV's current thread count (cv::getNumThreads).</summary>
    public static int Threads
    {
        get
        {
            Native.Check(NativeMethods.qcv_get_threads(out var n), "get OpenCV threads");
            return n;
        }
    }

    /// <summary>The OpenCV version the native library runs against, e.g. "4.6.0".</summary>
    public static string OpenCvVersion
    {
        get
        {
            var buffer = new byte[64];
            Native.Check(NativeMethods.qcv_version(buffer, buffer.Length), "get OpenCV version");
            return Encoding.UTF8.GetString(buffer, 0, Array.IndexOf(buffer, (byte)0));
        }
    }
}
