using System.Text;
using QcPipeline.Vision.Interop;

namespace QcPipeline.Vision;

/// <summary>Process-wide OpenCV settings.</summary>
public static class VisionRuntime
{
    /// <summary>Recommended OpenCV thread count when our own workers run checks in parallel:
    /// 1 (no OpenCV pool). Measured on 2 cores with 2 workers: see the project report and
    /// native/bench_threads.cpp; per-ROI work is too small for OpenCV's pool to pay off, and
    /// its threads compete with ours.</summary>
    public const int RecommendedThreads = 1;

    /// <summary>Sets OpenCV's internal thread pool size (cv::setNumThreads): 0 or 1 = run on
    /// the calling thread only; n &gt; 1 = a pool of n; negative = OpenCV's default (all cores).</summary>
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
