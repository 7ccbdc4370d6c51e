using System.Runtime.CompilerServices;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Ssh;

namespace QcPipeline.Sftp;

public sealed class SftpListOptions
{
    [Option("The connection to list (a name under connections:).", Required = true)]
    public SftpConnectionOptions Connection { get; init; } = new();

    [Option("The folder to list; relative paths start at the login folder.")]
    public string Root { get; init; } = ".";

    [Option("List subfolders too.")]
    public bool Recursive { get; init; } = true;

    [Option("Globs of files to take, relative to root (e.g. **/*.jpg). Default: every file.")]
    public string[] Include { get; init; } = [];

    [Option("Globs of files to leave out, relative to root.")]
    public string[] Exclude { get; init; } = [];

    [Option("Follow symbolic links to folders (loops are detected and skipped).")]
    public bool FollowSymlinks { get; init; }
}

/// <summary>
/// Lists a remote site over one SFTP connection: every folder first (so the run knows how many files there
/// are, which the fetch pool's "auto" policy and the progress bar use), then one item per file, in a stable
/// order. A folder that cannot be listed becomes a failed item with the reason, not a failed run.
/// </summary>
[Stage("sftp.list", "Lists the files under a folder of an SFTP server: one item per file with its folder, size and modification time.")]
public sealed class SftpListStage : SourceStage<FileItem, SftpListOptions>
{
    public override async IAsyncEnumerable<FileItem> ReadAsync(SourceContext context)
    {
        var endpoint = await SftpEndpoint.ForAsync(Options.Connection, Context, context.CancellationToken).ConfigureAwait(false);
        var files = await Task.Run(() => ListAll(endpoint, context), context.CancellationToken).ConfigureAwait(false);
        context.AnnounceTotal(files.Count);
        foreach (var f in files)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            yield return f;
        }
    }

    private List<FileItem> ListAll(SftpEndpoint endpoint, SourceContext context)
    {
        using var client = endpoint.Connect(context.CancellationToken);
        var filter = new PathFilter(Options.Include, Options.Exclude);
        var root = Options.Root.Length == 0 ? "." : Options.Root.TrimEnd('/');
        if (root.Length == 0) root = "/";
        var files = new List<FileItem>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var folders = new Queue<(string Path, string Relative, int Depth)>();
        folders.Enqueue((root, "", 0));
        while (folders.Count > 0)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var (path, relative, depth) = folders.Dequeue();
            IReadOnlyList<SftpEntry> entries;
            try { entries = client.ListDirectory(path); }
            catch (SshException e) when (!e.IsTransient && depth > 0)
            {
                context.Fail(path + "/", e.Message); // one folder is lost, not the site
                continue;
            }
            foreach (var entry in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                if (entry.Name is "." or "..") continue;
                var childRelative = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
                var childPath = path == "/" ? "/" + entry.Name : path + "/" + entry.Name;
                var kind = entry.Kind;
                var size = entry.Size;
                var modified = entry.Modified;
                if (kind == SftpEntryKind.Symlink)
                {
                    if (!Options.FollowSymlinks) continue;
                    SftpEntry target;
                    try { target = client.Stat(childPath); } catch (SshException) { continue; } // dangling link
                    kind = target.Kind; size = target.Size; modified = target.Modified;
                }
                if (kind == SftpEntryKind.Directory)
                {
                    // A link loop would revisit a folder: resolve where it really is and go there once.
                    var real = Options.FollowSymlinks ? SafeRealPath(client, childPath) : childPath;
                    if (Options.Recursive && depth < 64 && visited.Add(real)) folders.Enqueue((childPath, childRelative, depth + 1));
                    continue;
                }
                if (kind != SftpEntryKind.File || !filter.Matches(childRelative)) continue;
                var folder = relative.Length == 0 ? "." : relative;
                files.Add(new FileItem(endpoint.Origin, childPath, folder, entry.Name, size, modified));
            }
        }
        return files;
    }

    private static string SafeRealPath(SftpClient client, string path)
    {
        try { return client.RealPath(path); } catch (SshException) { return path; }
    }
}
