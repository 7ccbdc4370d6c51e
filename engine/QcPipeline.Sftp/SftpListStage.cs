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
/// Lists a remote site over one SFTP connection, folder by folder: each folder's files are passed on as soon as
/// it is listed (so fetching overlaps listing), in a stable order, and the total is announced at the end for the
/// progress bar. A folder that cannot be listed becomes a failed item with the reason, not a failed run.
/// </summary>
[Stage("sftp.list", "Lists the files under a folder of an SFTP server: one item per file with its folder, size and modification time.")]
public sealed class SftpListStage : SourceStage<FileItem, SftpListOptions>
{
    public override async IAsyncEnumerable<FileItem> ReadAsync(SourceContext context)
    {
        var ct = context.CancellationToken;
        var endpoint = await SftpEndpoint.ForAsync(Options.Connection, Context, ct).ConfigureAwait(false);
        // libssh2 calls block: run them on the thread pool, one at a time (the connection serves one caller).
        var client = await Task.Run(() => endpoint.Connect(ct), ct).ConfigureAwait(false);
        try
        {
            var filter = new PathFilter(Options.Include, Options.Exclude);
            var root = Options.Root.Length == 0 ? "." : Options.Root.TrimEnd('/');
            if (root.Length == 0) root = "/";
            var visited = new HashSet<string>(StringComparer.Ordinal) { Options.FollowSymlinks ? SafeRealPath(client, root) : root };
            var folders = new Queue<(string Path, string Relative, int Depth)>();
            folders.Enqueue((root, "", 0));
            long total = 0;
            while (folders.Count > 0)
            {
                ct.ThrowIfCancellationRequested();
                var (path, relative, depth) = folders.Dequeue();
                List<FileItem>? files = null;
                for (var attempt = 1; files is null; attempt++)
                {
                    try { files = await Task.Run(() => ListFolder(client, endpoint, filter, path, relative, depth, visited, folders), ct).ConfigureAwait(false); }
                    catch (SshException e) when (!e.IsTransient && depth > 0)
                    {
                        context.Fail(path + "/", e.Message); // one folder is lost, not the site
                        break;
                    }
                    catch (SshException e) when (e.IsTransient && attempt < ListAttempts)
                    {
                        // The connection died: list this folder again on a new one (nothing of it was passed on yet).
                        Context.Warn($"listing {path}: {e.Message}; reconnecting (attempt {attempt + 1} of {ListAttempts})");
                        client.Dispose();
                        client = await ReconnectAsync(endpoint, attempt, ct).ConfigureAwait(false);
                    }
                }
                if (files is null) continue;
                total += files.Count;
                foreach (var f in files)
                {
                    ct.ThrowIfCancellationRequested();
                    yield return f;
                }
            }
            context.AnnounceTotal(total);
        }
        finally { client.Dispose(); }
    }

    private const int ListAttempts = 6;

    private static async Task<SftpClient> ReconnectAsync(SftpEndpoint endpoint, int attempt, CancellationToken ct)
    {
        for (var delay = TimeSpan.FromMilliseconds(200 << Math.Min(attempt, 5)); ; delay *= 2)
        {
            await Task.Delay(delay, ct).ConfigureAwait(false);
            try { return await Task.Run(() => endpoint.Connect(ct), ct).ConfigureAwait(false); }
            catch (SshException e) when (e.IsTransient && ++attempt < ListAttempts) { }
        }
    }

    private List<FileItem> ListFolder(SftpClient client, SftpEndpoint endpoint, PathFilter filter, string path, string relative, int depth,
        HashSet<string> visited, Queue<(string, string, int)> folders)
    {
        var files = new List<FileItem>();
        foreach (var entry in client.ListDirectory(path).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (entry.Name is "." or "..") continue;
            var childRelative = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            var childPath = path == "/" ? "/" + entry.Name : path + "/" + entry.Name;
            var (kind, size, modified) = (entry.Kind, entry.Size, entry.Modified);
            if (kind == SftpEntryKind.Symlink)
            {
                if (!Options.FollowSymlinks) continue;
                SftpEntry target;
                try { target = client.Stat(childPath); } catch (SshException e) when (!e.IsTransient) { continue; } // dangling link
                (kind, size, modified) = (target.Kind, target.Size, target.Modified);
            }
            if (kind == SftpEntryKind.Directory)
            {
                // A link loop would revisit a folder: resolve where it really is and go there once.
                var real = Options.FollowSymlinks ? SafeRealPath(client, childPath) : childPath;
                if (Options.Recursive && depth < 64 && visited.Add(real)) folders.Enqueue((childPath, childRelative, depth + 1));
                continue;
            }
            if (kind != SftpEntryKind.File || !filter.Matches(childRelative)) continue;
            files.Add(new FileItem(endpoint.Origin, childPath, relative.Length == 0 ? "." : relative, entry.Name, size, modified));
        }
        return files;
    }

    private static string SafeRealPath(SftpClient client, string path)
    {
        try { return client.RealPath(path); } catch (SshException e) when (!e.IsTransient) { return path; }
    }
}
