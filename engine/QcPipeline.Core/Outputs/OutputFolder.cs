using QcPipeline.Core.Runtime;

namespace QcPipeline.Core.Outputs;

/// <summary>
/// A run's output folder, made ready before the first item: created, proven writable (a probe file is
/// written, flushed and removed), locked against a second run, and cleared of the engine's own files from a
/// previous run (run.json, dead-letter.jsonl, report.html), so what is there afterwards is this run's.
/// Disposing releases the lock (so does the process ending, however it ends).
/// </summary>
public sealed class OutputFolder : IDisposable
{
    /// <summary>Bytes written by the probe: enough to need a real block on disk.</summary>
    public const int ProbeBytes = 4096;

    private readonly FileStream _lock;

    private OutputFolder(string path, FileStream lockFile, IReadOnlyList<string> removed)
    {
        Path = path; _lock = lockFile; Removed = removed;
    }

    /// <summary>The folder (absolute).</summary>
    public string Path { get; }

    /// <summary>Files of a previous run that were removed.</summary>
    public IReadOnlyList<string> Removed { get; }

    /// <summary>Makes <paramref name="path"/> ready; throws <see cref="OutputFolderException"/> with one line that
    /// says what is wrong.</summary>
    public static OutputFolder Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        try { Directory.CreateDirectory(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new OutputFolderException(full, FirstFileInTheWay(full) is { } file
                ? $"{file} is a file, not a folder" : e.Message);
        }
        var lockPath = System.IO.Path.Combine(full, OutputFiles.Lock);
        FileStream lockFile;
        try { lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (UnauthorizedAccessException) { throw new OutputFolderException(full, "it is not writable (permission denied)"); }
        catch (IOException e) when (File.Exists(lockPath))
        {
            throw new OutputFolderException(full, $"another run is writing into it (it holds {OutputFiles.Lock}); give this run another --out ({e.GetType().Name})");
        }
        catch (IOException e) { throw new OutputFolderException(full, $"it is not writable: {e.Message}"); }
        try
        {
            Probe(full);
            var removed = RemovePrevious(full);
            return new OutputFolder(full, lockFile, removed);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    private static void Probe(string folder)
    {
        var probe = System.IO.Path.Combine(folder, $".qcpipeline-probe-{Environment.ProcessId}");
        try
        {
            using (var s = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                s.Write(new byte[ProbeBytes]);
                s.Flush(flushToDisk: true);
            }
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(probe); }
            catch (IOException) { } // the folder is unusable either way; that is the error reported
            catch (UnauthorizedAccessException) { }
            throw new OutputFolderException(folder, e is UnauthorizedAccessException
                ? "it is not writable (permission denied)" : $"it is not writable: {e.Message}");
        }
    }

    private static List<string> RemovePrevious(string folder)
    {
        var removed = new List<string>();
        foreach (var name in new[] { OutputFiles.RunJson, OutputFiles.DeadLetter, OutputFiles.Report })
        {
            var file = System.IO.Path.Combine(folder, name);
            if (!File.Exists(file)) continue;
            try { File.Delete(file); removed.Add(name); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new OutputFolderException(folder, $"the previous run's {name} cannot be removed: {e.Message}");
            }
        }
        return removed;
    }

    // "--out a/b/c" where a/b is a file: name the file, which is what the user has to fix.
    private static string? FirstFileInTheWay(string path)
    {
        for (var p = path; !string.IsNullOrEmpty(p); p = System.IO.Path.GetDirectoryName(p))
            if (File.Exists(p)) return p;
        return null;
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _lock.Dispose();
}

/// <summary>The output folder cannot be used; the message says why, in one line.</summary>
public sealed class OutputFolderException(string folder, string reason)
    : Exception($"cannot write the output folder {folder}: {reason}")
{
    /// <summary>The folder.</summary>
    public string Folder { get; } = folder;
}
