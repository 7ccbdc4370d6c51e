using System.Text;

namespace QcPipeline.Core.Outputs;

/// <summary>
/// Writes a file so that a reader sees the old content or the new, never half of it: the content goes to a
/// temporary file beside it, is flushed to disk, then renamed over the target. If writing fails, the
/// temporary file is removed and the target is untouched.
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes whatever <paramref name="write"/> puts into the stream.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var temp = TempFor(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => { var bytes = Utf8.GetBytes(text); s.Write(bytes); });

    /// <summary>Writes <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>A temporary name beside <paramref name="path"/>, unique to this process and call.</summary>
    public static string TempFor(string path) => $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";

    private static void TryDelete(string path)
    {
        // The write already failed and that failure is what the caller reports; a leftover temporary file
        // is harmless, so a failure to delete it is not worth a second message.
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
