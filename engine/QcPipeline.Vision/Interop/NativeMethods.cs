using System.Reflection;
using System.Runtime.InteropServices;

namespace QcPipeline.Vision.Interop;

/// <summary>The qcvision C interface (native/qcvision.h), one import per export.</summary>
internal static partial class NativeMethods
{
    private const string Library = "qcvision";
    private const string FileName = "libqcvision.so";

    static NativeMethods()
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);
    }

    // Our library is copied next to the assemblies of every project that references Vision;
    // look there first, so that neither LD_LIBRARY_PATH nor the working directory matter.
    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return IntPtr.Zero;
        foreach (var dir in new[] { Path.GetDirectoryName(assembly.Location), AppContext.BaseDirectory })
        {
            if (string.IsNullOrEmpty(dir)) continue;
            var path = Path.Combine(dir, FileName);
            if (File.Exists(path)) return NativeLibrary.Load(path);
        }
        throw new DllNotFoundException(
            $"{FileName} was not found next to {assembly.GetName().Name}.dll or in {AppContext.BaseDirectory}; build QcPipeline.Vision (it compiles the library with g++)");
    }

    [LibraryImport(Library)] internal static partial IntPtr qcv_last_error();
    [LibraryImport(Library)] internal static partial int qcv_version(byte[] buffer, int capacity);
    [LibraryImport(Library)] internal static partial int qcv_set_threads(int threads);
    [LibraryImport(Library)] internal static partial int qcv_get_threads(out int threads);

    [LibraryImport(Library)] internal static partial void qcv_mat_free(IntPtr mat);
    [LibraryImport(Library)] internal static partial int qcv_mat_info(MatHandle mat, out int width, out int height, out int channels);
    [LibraryImport(Library)] internal static partial int qcv_create(int width, int height, int channels, byte fill, out MatHandle mat);
    [LibraryImport(Library)] internal static unsafe partial int qcv_copy_pixels(MatHandle mat, byte* buffer, long capacity);
    [LibraryImport(Library)] internal static unsafe partial int qcv_decode(byte* data, long length, int mode, out MatHandle mat);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int qcv_encode(MatHandle mat, string extension, int quality, out IntPtr data, out long length);
    [LibraryImport(Library)] internal static partial void qcv_buffer_free(IntPtr data);
    [LibraryImport(Library)] internal static partial int qcv_crop(MatHandle mat, NativeRect rect, out MatHandle crop);
    [LibraryImport(Library)] internal static partial int qcv_clone(MatHandle mat, out MatHandle copy);
    [LibraryImport(Library)] internal static partial int qcv_grayscale(MatHandle mat, out MatHandle gray);
    [LibraryImport(Library)] internal static partial int qcv_to_color(MatHandle mat, out MatHandle colour);
    [LibraryImport(Library)] internal static partial int qcv_draw_rect(MatHandle mat, NativeRect rect, byte r, byte g, byte b, int thickness);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int qcv_draw_text(MatHandle mat, string text, int x, int y, double scale, byte r, byte g, byte b);

    [LibraryImport(Library)]
    internal static partial int qcv_check_template(MatHandle test, MatHandle golden, NativeRect roi, int margin, out NativeTemplateResult result);
    [LibraryImport(Library)]
    internal static unsafe partial int qcv_check_diff(MatHandle test, MatHandle golden, NativeRect roi, in NativeDiffParams parameters,
        NativeRect* blobs, int* blobAreas, int blobCapacity, out NativeDiffResult result);
    [LibraryImport(Library)]
    internal static partial int qcv_estimate_shift(MatHandle test, MatHandle golden, int maxShift, out int dx, out int dy);
    [LibraryImport(Library)]
    internal static unsafe partial int qcv_check_intensity(MatHandle test, NativeRect roi, double* mean4, double* std4, out int channels);
    [LibraryImport(Library)]
    internal static partial int qcv_check_edges(MatHandle test, NativeRect roi, int blurKernel, double low, double high, out double density);
}

/// <summary>qcv_rect.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct NativeRect(int X, int Y, int Width, int Height)
{
    public static implicit operator NativeRect(PixelBox box) => new(box.X, box.Y, box.Width, box.Height);
    public PixelBox ToBox() => new(X, Y, Width, Height);
}

/// <summary>qcv_template_result.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeTemplateResult
{
    public double Score;
    public int Dx, Dy;
}

/// <summary>qcv_diff_params.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeDiffParams
{
    public int MaxShift, BlurKernel, Threshold, OpenKernel, CloseKernel, MinArea, OffsetX, OffsetY, Tolerance;
}

/// <summary>qcv_diff_result.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeDiffResult
{
    public int Dx, Dy, BlobCount;
    public long DefectArea;
}
