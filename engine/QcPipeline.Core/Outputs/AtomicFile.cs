using System.Text;

namespace QcPipeline.Core.Outputs;

/// <summary>
/// Writes a file so that a reader sees the old content or the new, never half of it: the content goes to a
/// temporary file beside it (created exclusively, so a link planted at that name is never followed), is flushed
/// to disk, then renamed over the target (rename replaces a link at the target's name, never writes through it).
/// If writing fails, the temporary file is removed and the target is untouched. Files that must appear together
/// use an <see cref="AtomicFileSet"/>.
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes whatever <paramref name="write"/> puts into the stream.</summary>
    public static void Write(string path, Action<Stream> write, AtomicFileOptions? options = null)
    {
        using var set = new AtomicFileSet(options);
        write(set.Create(path));
        set.Commit();
    }

    /// <summary>Writes whatever <paramref name="write"/> puts into the stream, asynchronously.</summary>
    public static async Task WriteAsync(string path, Func<FileStream, Task> write, AtomicFileOptions? options = null)
    {
        using var set = new AtomicFileSet(options);
        await write(set.Create(path)).ConfigureAwait(false);
        set.Commit();
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => { var bytes = Utf8.GetBytes(text); s.Write(bytes); });

    /// <summary>Writes <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>A temporary name beside <paramref name="path"/>, unique to this process and call.</summary>
    public static string TempFor(string path) => $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
}

/// <summary>How <see cref="AtomicFile"/> and <see cref="AtomicFileSet"/> make their temporary files.</summary>
public sealed record AtomicFileOptions
{
    /// <summary>A 64 KiB buffer, flushed to disk before the rename, default permissions.</summary>
    public static readonly AtomicFileOptions Default = new();

    /// <summary>The stream's buffer size in bytes.</summary>
    public int BufferSize { get; init; } = 1 << 16;

    /// <summary>Whether the content is on disk before the rename makes it the file (fsync). Off where a file lost
    /// to a power cut costs only fetching it again and a sync per file would cost throughput.</summary>
    public bool FlushToDisk { get; init; } = true;

    /// <summary>Whether the stream is opened for asynchronous I/O.</summary>
    public bool Asynchronous { get; init; }

    /// <summary>The permissions the file is created with; null: the process's default.</summary>
    public UnixFileMode? UnixCreateMode { get; init; }
}

/// <summary>
/// Files that appear together or not at all (as far as renames allow: each one is whole, and none is renamed into
/// place before all are written). <see cref="Create"/> opens each one's temporary file, <see cref="Commit"/>
/// flushes and renames them in the order created; disposing removes whatever was not committed.
/// </summary>
public sealed class AtomicFileSet(AtomicFileOptions? options = null) : IDisposable
{
    private readonly AtomicFileOptions _options = options ?? AtomicFileOptions.Default;
    private readonly List<(string Target, string Temp, FileStream Stream)> _files = [];
    private bool _committed;

    /// <summary>The stream to write <paramref name="path"/>'s new content to; the set owns it (do not dispose it).</summary>
    public FileStream Create(string path)
    {
        var temp = AtomicFile.TempFor(path);
        var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = _options.BufferSize,
            Options = _options.Asynchronous ? FileOptions.Asynchronous : FileOptions.None,
            UnixCreateMode = _options.UnixCreateMode,
        });
        _files.Add((path, temp, stream));
        return stream;
    }

    /// <summary>Flushes every file, then renames each over its target.</summary>
    public void Commit()
    {
        foreach (var (_, _, stream) in _files)
        {
            stream.Flush(flushToDisk: _options.FlushToDisk);
            stream.Dispose();
        }
        foreach (var (target, temp, _) in _files) File.Move(temp, target, overwrite: true);
        _committed = true;
    }

    /// <summary>Closes the streams and removes the temporary files of an uncommitted set.</summary>
    public void Dispose()
    {
        if (!_committed)
            foreach (var (_, temp, stream) in _files) Discard(temp, stream);
        _files.Clear();
    }

    private static void Discard(string temp, FileStream stream)
    {
        // The write already failed and that failure is what the caller reports; what is left to close or delete
        // is a temporary file nobody reads, so a failure here is not worth a second message.
        try { stream.Dispose(); }
        catch (IOException) { }
        try { File.Delete(temp); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
