using QcPipeline.Core.Options;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using QcPipeline.Ssh;

namespace QcPipeline.Sftp;

/// <summary>Options of sftp.list: the connection, the folder, and which files to take.</summary>
public sealed class SftpListOptions
{
    /// <summary>The connection to list (a name under connections:).</summary>
    [Option("The connection to list (a name under connections:).", Required = true)]
    public SftpConnectionOptions Connection { get; init; } = new();

    /// <summary>The folder to list; relative paths start at the login folder.</summary>
    [Option("The folder to list; relative paths start at the login folder.")]
    public string Root { get; init; } = ".";

    /// <summary>List subfolders too.</summary>
    [Option("List subfolders too.")]
    public bool Recursive { get; init; } = true;

    /// <summary>Globs of files to take, relative to root (e.g. **/*.jpg). Default: every file.</summary>
    [Option("Globs of files to take, relative to root (e.g. **/*.jpg). Default: every file.")]
    public string[] Include { get; init; } = [];

    /// <summary>Globs of files to leave out, relative to root.</summary>
    [Option("Globs of files to leave out, relative to root.")]
    public string[] Exclude { get; init; } = [];

    /// <summary>Folders listed at the same time, all on one connection (each folder costs a few round trips; a site has many).</summary>
    [Option("Folders listed at the same time, all on one connection (each folder costs a few round trips; a site has many).", Min = 1, Max = 256)]
    public int FoldersInFlight { get; init; } = 16;

    /// <summary>Follow symbolic links to folders that lie inside root (loops are detected). Links to files, and links out of root, are never followed.</summary>
    [Option("Follow symbolic links to folders that lie inside root (loops are detected). Links to files, and links out of root, are never followed.")]
    public bool FollowSymlinks { get; init; }
}

/// <summary>
/// Lists a remote site folder by folder, several folders at once on one connection (on a distant server each
/// folder costs round trips, not bandwidth). Each folder's files are passed on as soon as it is listed, in a stable
/// order (breadth first, names sorted), so fetching overlaps listing; the total is announced at the end for the
/// progress bar. A folder that cannot be listed becomes a failed item with the reason, not a failed run; when the
/// connection dies, a new one is opened and the folders it was listing are listed again (none was passed on yet).
/// Each folder is listed under the stage's retry: (attempts and backoff; by default three attempts) and timeout:
/// (per attempt); the connection is the engine's shared resource, which the endpoint offers to a fetch pool.
/// </summary>
[Stage("sftp.list", "Lists the files under a folder of an SFTP server: one item per file with its folder, size and modification time.")]
public sealed class SftpListStage : SourceStage<FileItem, SftpListOptions>
{
    // Real: where the folder really is (links resolved); null for root, whose realpath is asked beside its listing.
    // Folders deeper than this are not listed: a backstop for link chains the visited set cannot see through.
    private const int MaxDepth = 64;

    private sealed record Folder(string Path, string Relative, int Depth, string? Real);

    private sealed record Listing(Folder Folder, List<FileItem> Files, List<Folder> Subfolders, int LinksNotFollowed, string? Error);

    /// <inheritdoc />
    public override async IAsyncEnumerable<FileItem> ReadAsync(SourceContext context)
    {
        var ct = context.CancellationToken;
        var endpoint = await SftpEndpoint.ForAsync(Options.Connection, Context, ct).ConfigureAwait(false);
        var filter = new PathFilter(Options.Include, Options.Exclude);
        var root = Options.Root.Length == 0 ? "." : Options.Root.TrimEnd('/');
        if (root.Length == 0) root = "/";
        // Root's realpath (for telling links out of root) goes out together with root's listing: no round trip of its own.
        var connection = new SharedResource<SftpConnection>(c => ConnectAndOfferAsync(endpoint, c), IsTransient,
            Options.FoldersInFlight + 1, Context.Warn, ct);
        // The first connection also tells us whether the server can be reached at all: its error is the run's.
        // Its retries are not said: root's listing, on the same connection, says them.
        var realRoot = Context.ExecuteAsync(attemptCt => connection.UseAsync(client => client.RealPathAsync(root, attemptCt), IsBroken, attemptCt),
            WorthAnother, ct);
        _ = realRoot.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var waiting = new Queue<Folder>([new Folder(root, "", 0, null)]);
        var listing = new Queue<Task<Listing>>(); // in the order the folders were found
        long total = 0, linksNotFollowed = 0;
        try
        {
            while (waiting.Count > 0 || listing.Count > 0)
            {
                while (waiting.Count > 0 && listing.Count < Options.FoldersInFlight)
                {
                    var folder = waiting.Dequeue();
                    listing.Enqueue(ListAsync(connection, endpoint, filter, folder, realRoot, ct));
                }
                var done = await listing.Dequeue().ConfigureAwait(false);
                if (done.Folder.Depth == 0) visited.Add(await realRoot.ConfigureAwait(false));
                linksNotFollowed += done.LinksNotFollowed;
                if (done.Error is not null)
                {
                    context.Fail(done.Folder.Path + "/", done.Error); // one folder is lost, not the site
                    continue;
                }
                // A folder seen before (a link loop, or two links to one folder) is listed once: where it really is decides.
                foreach (var child in done.Subfolders)
                    if (Options.Recursive && child.Depth <= MaxDepth && visited.Add(child.Real!)) waiting.Enqueue(child);
                total += done.Files.Count;
                foreach (var f in done.Files)
                {
                    ct.ThrowIfCancellationRequested();
                    yield return f;
                }
            }
            context.AnnounceTotal(total);
            if (linksNotFollowed > 0)
                Context.Warn($"{linksNotFollowed} symbolic link(s) not followed ({(Options.FollowSymlinks ? "links to files, or out of root" : "follow_symlinks is off")})");
        }
        finally
        {
            // On cancel or failure, let folders still being listed finish before their connection closes.
            foreach (var t in listing)
            {
                try { await t.ConfigureAwait(false); } catch (Exception) { /* the run already has its reason */ }
            }
            // A fetch pool of the same server that opens late still finds the listing's connection (see SftpEndpoint.HandOver).
            await connection.CloseAsync(endpoint.HandOver).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override bool IsTransient(Exception error) => error is SshException { IsTransient: true } or IOException or TimeoutException;

    private static bool IsBroken(SftpConnection client, Exception error) => error is SshException { ConnectionBroken: true } || !client.IsConnected;

    // A fetch pool of the same server may use this connection too while it lists (see SftpEndpoint.Offer).
    private static async ValueTask<SftpConnection> ConnectAndOfferAsync(SftpEndpoint endpoint, CancellationToken ct)
    {
        var connection = await endpoint.ConnectAsync(ct).ConfigureAwait(false);
        endpoint.Offer(connection);
        return connection;
    }

    // Lists one folder under the stage's policy: when the connection dies under it, again on a new one.
    private Task<Listing> ListAsync(SharedResource<SftpConnection> connection, SftpEndpoint endpoint, PathFilter filter, Folder folder, Task<string> realRoot, CancellationToken ct) =>
        Context.ExecuteAsync(attemptCt => connection.UseAsync(client => ListOrFailAsync(client, endpoint, filter, folder, realRoot, attemptCt), IsBroken, attemptCt),
            error =>
            {
                if (!WorthAnother(error)) return false;
                Context.Warn($"listing {folder.Path}: {error.Message}; listing it again{(error is TimeoutException ? "" : " on a new connection")}");
                return true;
            }, ct);

    // Asked only when another attempt remains: a dead connection (replaced by then) or a timed-out attempt (timeout:) is worth it.
    private static bool WorthAnother(Exception error) => error is SshException { ConnectionBroken: true } or TimeoutException;

    // A subfolder the server will not list (gone, no permission) is lost alone; the connection's own failures
    // (opening it included) are the policy's.
    private async Task<Listing> ListOrFailAsync(SftpConnection client, SftpEndpoint endpoint, PathFilter filter, Folder folder, Task<string> realRoot, CancellationToken ct)
    {
        try { return await ListFolderAsync(client, endpoint, filter, folder, realRoot, ct).ConfigureAwait(false); }
        catch (SshException e) when (!e.IsTransient && folder.Depth > 0) { return new Listing(folder, [], [], 0, e.Message); }
    }

    private async Task<Listing> ListFolderAsync(SftpConnection client, SftpEndpoint endpoint, PathFilter filter, Folder folder, Task<string> realRootTask, CancellationToken ct)
    {
        var files = new List<FileItem>();
        var subfolders = new List<Folder>();
        var notFollowed = 0;
        var entries = await client.ListAsync(folder.Path, ct).ConfigureAwait(false);
        var realRoot = await realRootTask.ConfigureAwait(false);
        var real = folder.Real ?? realRoot;
        foreach (var entry in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (entry.Name is "." or "..") continue;
            var childRelative = folder.Relative.Length == 0 ? entry.Name : folder.Relative + "/" + entry.Name;
            var childPath = folder.Path == "/" ? "/" + entry.Name : folder.Path + "/" + entry.Name;
            if (entry.Kind == SftpEntryKind.Symlink)
            {
                // Only a link to a folder inside root is followed: a link to a file (/etc/shadow) or out of root never.
                if (!Options.FollowSymlinks) { notFollowed++; continue; }
                (SftpEntry Entry, string RealPath) target;
                try { target = await client.StatAsync(childPath, ct).ConfigureAwait(false); }
                catch (SshException e) when (!e.IsTransient) { notFollowed++; continue; }
                if (target.Entry.Kind != SftpEntryKind.Directory || !Inside(target.RealPath, realRoot)) { notFollowed++; continue; }
                subfolders.Add(new Folder(childPath, childRelative, folder.Depth + 1, target.RealPath));
                continue;
            }
            if (entry.Kind == SftpEntryKind.Directory)
            {
                subfolders.Add(new Folder(childPath, childRelative, folder.Depth + 1, real.TrimEnd('/') + "/" + entry.Name));
                continue;
            }
            if (entry.Kind != SftpEntryKind.File || !filter.Matches(childRelative)) continue;
            files.Add(new FileItem(endpoint.Origin, childPath, folder.Relative.Length == 0 ? "." : folder.Relative, entry.Name, entry.Size, entry.Modified));
        }
        return new Listing(folder, files, subfolders, notFollowed, null);
    }

    private static bool Inside(string real, string realRoot) =>
        real == realRoot || real.StartsWith(realRoot.TrimEnd('/') + "/", StringComparison.Ordinal);
}
