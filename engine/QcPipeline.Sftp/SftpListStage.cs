using System.Collections.Concurrent;
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

    [Option("Connections that list folders at the same time (each folder costs a few round trips; a site has many).", Min = 1, Max = 32)]
    public int Connections { get; init; } = 4;

    [Option("Follow symbolic links to folders (loops are detected and skipped).")]
    public bool FollowSymlinks { get; init; }
}

/// <summary>
/// Lists a remote site folder by folder, several folders at a time over a few connections (on a distant server
/// each folder costs round trips, not bandwidth). Each folder's files are passed on as soon as it is listed, in a
/// stable order (breadth first, names sorted), so fetching overlaps listing; the total is announced at the end
/// for the progress bar. A folder that cannot be listed becomes a failed item with the reason, not a failed run;
/// a connection that dies is replaced and its folder listed again.
/// </summary>
[Stage("sftp.list", "Lists the files under a folder of an SFTP server: one item per file with its folder, size and modification time.")]
public sealed class SftpListStage : SourceStage<FileItem, SftpListOptions>
{
    private const int ListAttempts = 6;

    private sealed record Folder(string Path, string Relative, int Depth);

    private sealed record Listing(Folder Folder, List<FileItem> Files, List<(Folder Child, string Real)> Subfolders, string? Error);

    public override async IAsyncEnumerable<FileItem> ReadAsync(SourceContext context)
    {
        var ct = context.CancellationToken;
        var endpoint = await SftpEndpoint.ForAsync(Options.Connection, Context, ct).ConfigureAwait(false);
        var filter = new PathFilter(Options.Include, Options.Exclude);
        var root = Options.Root.Length == 0 ? "." : Options.Root.TrimEnd('/');
        if (root.Length == 0) root = "/";
        var clients = new ConcurrentBag<SftpClient>();
        var listing = new Queue<Task<Listing>>(); // in the order the folders were found
        try
        {
            // The first connection also tells us whether the server can be reached at all: its error is the run's.
            clients.Add(await Task.Run(() => endpoint.Connect(ct), ct).ConfigureAwait(false));
            var visited = new HashSet<string>(StringComparer.Ordinal);
            if (Options.FollowSymlinks)
            {
                clients.TryTake(out var first);
                visited.Add(SafeRealPath(first!, root));
                clients.Add(first!);
            }
            else visited.Add(root);
            var waiting = new Queue<Folder>([new Folder(root, "", 0)]);
            long total = 0;
            while (waiting.Count > 0 || listing.Count > 0)
            {
                while (waiting.Count > 0 && listing.Count < Options.Connections)
                {
                    var folder = waiting.Dequeue();
                    listing.Enqueue(Task.Run(() => List(endpoint, clients, filter, folder, ct), ct));
                }
                var done = await listing.Dequeue().ConfigureAwait(false);
                if (done.Error is not null)
                {
                    context.Fail(done.Folder.Path + "/", done.Error); // one folder is lost, not the site
                    continue;
                }
                foreach (var (child, real) in done.Subfolders)
                    if (Options.Recursive && child.Depth <= 64 && visited.Add(real)) waiting.Enqueue(child);
                total += done.Files.Count;
                foreach (var f in done.Files)
                {
                    ct.ThrowIfCancellationRequested();
                    yield return f;
                }
            }
            context.AnnounceTotal(total);
        }
        finally
        {
            // On cancel or failure, folders still being listed hand their connections back before all are closed.
            foreach (var t in listing)
            {
                try { await t.ConfigureAwait(false); } catch (Exception) { /* the run already has its reason */ }
            }
            foreach (var c in clients) c.Dispose();
        }
    }

    // Lists one folder on a free connection (opening one if none is free), retrying on a new connection if it dies.
    private Listing List(SftpEndpoint endpoint, ConcurrentBag<SftpClient> clients, PathFilter filter, Folder folder, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            SftpClient? client = null;
            try
            {
                if (!clients.TryTake(out client)) client = endpoint.Connect(ct);
                var listing = ListFolder(client, endpoint, filter, folder);
                clients.Add(client);
                return listing;
            }
            catch (SshException e) when (!e.IsTransient && folder.Depth > 0)
            {
                if (client is not null) clients.Add(client);
                return new Listing(folder, [], [], e.Message);
            }
            catch (SshException e) when (e.IsTransient && attempt < ListAttempts)
            {
                // The connection died (or could not open): list this folder again on a new one; nothing of it was passed on yet.
                client?.Dispose();
                Context.Warn($"listing {folder.Path}: {e.Message}; trying again (attempt {attempt + 1} of {ListAttempts})");
                Task.Delay(TimeSpan.FromMilliseconds(200 << Math.Min(attempt, 4)), ct).GetAwaiter().GetResult();
            }
            catch
            {
                client?.Dispose();
                throw;
            }
        }
    }

    private Listing ListFolder(SftpClient client, SftpEndpoint endpoint, PathFilter filter, Folder folder)
    {
        var files = new List<FileItem>();
        var subfolders = new List<(Folder, string)>();
        foreach (var entry in client.ListDirectory(folder.Path).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (entry.Name is "." or "..") continue;
            var childRelative = folder.Relative.Length == 0 ? entry.Name : folder.Relative + "/" + entry.Name;
            var childPath = folder.Path == "/" ? "/" + entry.Name : folder.Path + "/" + entry.Name;
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
                // A link loop would revisit a folder: where it really is decides whether it was seen.
                var real = Options.FollowSymlinks ? SafeRealPath(client, childPath) : childPath;
                subfolders.Add((new Folder(childPath, childRelative, folder.Depth + 1), real));
                continue;
            }
            if (kind != SftpEntryKind.File || !filter.Matches(childRelative)) continue;
            files.Add(new FileItem(endpoint.Origin, childPath, folder.Relative.Length == 0 ? "." : folder.Relative, entry.Name, size, modified));
        }
        return new Listing(folder, files, subfolders, null);
    }

    private static string SafeRealPath(SftpClient client, string path)
    {
        try { return client.RealPath(path); } catch (SshException e) when (!e.IsTransient) { return path; }
    }
}
