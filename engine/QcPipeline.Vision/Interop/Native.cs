using System.Runtime.InteropServices;

namespace QcPipeline.Vision.Interop;

/// <summary>Turns a qcvision status into a <see cref="VisionException"/>, read on the calling
/// thread straight after the call (the native message is thread-local).</summary>
internal static class Native
{
    public static void Check(int status, string context)
    {
        if (status == 0) return;
        var message = Marshal.PtrToStringUTF8(NativeMethods.qcv_last_error());
        throw new VisionException(
            $"{context}: {(string.IsNullOrEmpty(message) ? "native error " + status : message)}",
            (VisionErrorKind)status);
    }
}
