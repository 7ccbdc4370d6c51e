using OpenCvSharp;

namespace QcPipeline.Vision;

/// <summary>The one door to OpenCV: every call goes through <see cref="Run{T}"/>, which makes sure the
/// process is set up (<see cref="VisionRuntime"/>) and turns whatever OpenCV or the binding throws into a
/// one-line <see cref="VisionException"/> that says what was being done.</summary>
internal static class Cv
{
    public static T Run<T>(string what, Func<T> call)
    {
        VisionRuntime.EnsureInitialised();
        try { return call(); }
        catch (VisionException) { throw; }
        catch (ObjectDisposedException) { throw; }
        catch (OpenCVException e) { throw new VisionException($"{what}: {OneLine(e.ErrMsg is { Length: > 0 } m ? m : e.Message)}", VisionErrorKind.OpenCv, e); }
        catch (OutOfMemoryException e) { throw new VisionException($"{what}: out of memory", VisionErrorKind.OutOfMemory, e); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OpenCvSharpException or AccessViolationException or System.Runtime.InteropServices.SEHException)
        {
            throw new VisionException($"{what}: {OneLine(e.Message)}", VisionErrorKind.Internal, e);
        }
    }

    public static void Run(string what, Action call) => Run(what, () => { call(); return 0; });

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
