using System.Runtime.CompilerServices;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;

namespace QcPipeline.Files;

/// <summary>Options of files.list: the folder, which files to take, and whether to keep watching it.</summary>
public sealed class LocalListOptions
{
    /// <summary>The folder to read.</summary>
    [Option("The folder to read.", Required = true, IsPath = true)]
    public string Root { get; init; } = "";

    /// <summary>Look into subfolders too.</summary>
    [Option("Look into subfolders too.")]
    public bool Recursive { get; init; } = true;

    /// <summary>Globs of files to take, relative to root (e.g. **/*.jpg). Default: every file.</summary>
    [Option("Globs of files to take, relative to root (e.g. **/*.jpg). Default: every file.")]
    public string[] Include { get; init; } = [];

    /// <summary>Globs of files to leave out, relative to root.</summary>
    [Option("Globs of files to leave out, relative to root.")]
    public string[] Exclude { get; init; } = [];

    /// <summary>Keep watching the folder for new files until the run is stopped (Ctrl+C).</summary>
    [Option("Keep watching the folder for new files until the run is stopped (Ctrl+C).")]
    public bool Watch { get; init; }

    /// <summary>In watch mode: how often to look for new files.</summary>
    [Option("In watch mode: how often to look for new files.")]
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>In watch mode: a file is taken once its size and time have not changed for this long (so half-written files are not).</summary>
    [Option("In watch mode: a file is taken once its size and time have not changed for this long (so half-written files are not).")]
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>Lists the files of a local folder (folder by folder, each sorted, so runs are repeatable), or watches it for new ones.</summary>
[Stage("files.list", "Lists the files of a local folder; with watch: true, keeps taking new files as they are completely written.")]
public sealed class LocalListStage : SourceStage<FileItem, LocalListOptions>
{
    /// <inheritdoc />
    public override async IAsyncEnumerable<FileItem> ReadAsync(SourceContext context)
    {
        var root = Options.Root;
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"files.list: folder {root} does not exist");
        var filter = new PathFilter(Options.Include, Options.Exclude);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        // The folder is walked twice, to count and to list, rather than held: a listing of 100,000 files would
        // otherwise stay in memory for the whole run.
        if (!Options.Watch) context.AnnounceTotal(Scan(root, filter).LongCount());
        foreach (var f in Scan(root, filter))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            // Watching: a file changed within the settle time may still be being written; the watcher takes it once it holds still.
            if (Options.Watch && DateTime.UtcNow - f.Modified.UtcDateTime < Options.Settle) continue;
            if (Options.Watch) taken.Add(f.Path);
            yield return f;
        }
        if (!Options.Watch) yield break;
        await foreach (var f in WatchAsync(root, filter, taken, context.CancellationToken)) yield return f;
    }

    // Folder by folder, each folder's files and then its subfolders in ordinal order: memory holds one folder's
    // names at a time.
    private IEnumerable<FileItem> Scan(string root, PathFilter filter)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = false, IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.ReparsePoint, // no symlink loops
        };
        var folders = new Stack<string>();
        folders.Push(root);
        while (folders.Count > 0)
        {
            var dir = folders.Pop();
            foreach (var path in Directory.EnumerateFiles(dir, "*", options).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
                if (!filter.Matches(relative)) continue;
                var info = new FileInfo(path);
                var folder = Path.GetDirectoryName(relative)?.Replace('\\', '/') ?? "";
                yield return new FileItem("local", path, folder.Length == 0 ? "." : folder, info.Name, info.Length, info.LastWriteTimeUtc)
                {
                    LocalPath = path,
                };
            }
            if (!Options.Recursive) continue;
            foreach (var sub in Directory.EnumerateDirectories(dir, "*", options).Order(StringComparer.Ordinal).Reverse()) folders.Push(sub);
        }
    }

    // A file counts as written once its size and time hold still for `settle`; files that keep changing wait.
    private async IAsyncEnumerable<FileItem> WatchAsync(string root, PathFilter filter, HashSet<string> taken,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var candidates = new Dictionary<string, (long Size, DateTime Time, DateTime Since)>(StringComparer.Ordinal);
        while (!ct.IsCancellationRequested)
        {
            try { await Task.Delay(Options.PollInterval, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { yield break; }
            var now = DateTime.UtcNow;
            foreach (var f in Scan(root, filter))
            {
                if (taken.Contains(f.Path)) continue;
                var stamp = (f.Size, f.Modified.UtcDateTime);
                if (!candidates.TryGetValue(f.Path, out var seen) || seen.Size != stamp.Size || seen.Time != stamp.UtcDateTime)
                {
                    candidates[f.Path] = (stamp.Size, stamp.UtcDateTime, now);
                    continue;
                }
                if (now - seen.Since < Options.Settle) continue;
                candidates.Remove(f.Path);
                taken.Add(f.Path);
                yield return f;
            }
        }
    }
}
