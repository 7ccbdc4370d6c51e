using System.Runtime.InteropServices;

namespace QcPipeline.Vision.Interop;

/// <summary>Owns one native cv::Mat (qcv_mat*); pixels are reference-counted on the native side,
/// so a crop handle keeps its parent's pixels alive on its own.</summary>
internal sealed class MatHandle : SafeHandle
{
    public MatHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.qcv_mat_free(handle);
        return true;
    }
}
