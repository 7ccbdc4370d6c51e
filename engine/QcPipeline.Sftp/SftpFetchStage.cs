using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Ssh;

namespace QcPipeline.Sftp;

/// <summary>What sftp.fetch reads of each file.</summary>
public enum FetchMode
{
    /// <summary>Only the bytes metadata needs (for a JPEG, its segments before the image data).</summary>
    Header,
    /// <summary>The whole file, downloaded to a local folder.</summary>
    Full,
}

public sealed class SftpFetchOptions : IAutoWorkers
{
    /// <summary>auto: at most four connections (see SftpFetchStage.AutoPoolSize for how many open).</summary>
    public int AutoWorkers => 4;

    [Option("The connection to fetch from (a name under connections:).", Required = true)]
    public SftpConnectionOptions Connection { get; init; } = new();

    [Option("header: only the bytes metadata parsing needs; full: download whole files to download_dir.")]
    public FetchMode Mode { get; init; } = FetchMode.Header;

    [Option("Header mode: bytes read in the first request (one round trip); more are read only if the header is longer.", Min = 512, Max = 16 * 1024 * 1024)]
    public int HeaderBytes { get; init; } = 16 * 1024;

    [Option("Header mode: the most bytes read of one file, however long its header (protects against corrupt lengths).", Min = 4096)]
    public int MaxHeaderBytes { get; init; } = 2 * 1024 * 1024;

    [Option("Full mode: where files are downloaded (their remote folders are kept below it). Default: files/ in the output folder.", IsPath = true)]
    public string DownloadDir { get; init; } = "";

    [Option("Full mode: read buffer per request (libssh2 keeps about four of these in flight).", Min = 32 * 1024, Max = 64 * 1024 * 1024)]
    public int BufferBytes { get; init; } = 1024 * 1024;
}

/// <summary>
/// Fetches listed files with a pool of SFTP connections: one per worker, each used by one item at a time for
/// the whole run. A connection that dies is reopened (with backoff) and its item retried.
/// </summary>
[Stage("sftp.fetch", "Reads each listed file over SFTP with a pool of connections (workers = pool size): only its metadata header, or the whole file to a local folder.", DefaultWorkers = "auto")]
public sealed class SftpFetchStage : PooledTransformStage<FileItem, FileContent, SftpFetchOptions, SftpClient>
{
    private SftpEndpoint? _endpoint;
    private string _downloadDir = "";

    /// <summary>Our users' policy for "auto": 10 files or fewer, one connection; else min(4, max(2, files/50)).</summary>
    public static int AutoPoolSize(long files) => files <= 10 ? 1 : (int)Math.Min(4, Math.Max(2, files / 50));

    public override int PoolTarget(long itemsSeen, bool inputComplete, int max) => Math.Min(max, AutoPoolSize(itemsSeen));

    public override async ValueTask StartAsync(CancellationToken ct)
    {
        _endpoint = await SftpEndpoint.ForAsync(Options.Connection, Context, ct).ConfigureAwait(false);
        // libssh2 calls block their thread; the engine reserves a thread per connection (pooled stages get two per worker).
        _downloadDir = Path.GetFullPath(Options.DownloadDir.Length > 0 ? Options.DownloadDir : Path.Combine(Context.OutputDirectory, "files"));
    }

    public override ValueTask<SftpClient> OpenAsync(int worker, CancellationToken ct) =>
        new(Task.Run(() => _endpoint!.Connect(ct), ct));

    public override bool IsTransient(Exception error) => error is SshException { IsTransient: true } or IOException or TimeoutException;

    public override bool IsBroken(SftpClient resource, Exception error) => error is SshException { IsTransient: true } || !resource.IsConnected;

    public override TimeSpan KeepAliveInterval => Options.Connection.Keepalive;

    public override void KeepAlive(SftpClient resource) => resource.SendKeepAlive();

    public override void Abort(SftpClient resource) => resource.Abort();

    public override ValueTask<FileContent> ProcessAsync(FileItem item, SftpClient client, ItemContext context) =>
        new(Task.Run(() => Options.Mode == FetchMode.Header ? FetchHeader(item, client, context) : Download(item, client, context), context.CancellationToken));

    private FileContent FetchHeader(FileItem item, SftpClient client, ItemContext context)
    {
        var before = client.BytesRead;
        try
        {
            // Small requests: libssh2 keeps about four of them in flight, and bytes in flight cross the wire even if unused.
            using var stream = client.OpenRead(item.Path, Math.Max(4096, Options.HeaderBytes / 4));
            var header = JpegMetadataExtent.ReadHeader((offset, count) => ReadAt(stream, offset, count, context),
                item.Size, Options.HeaderBytes, Options.MaxHeaderBytes, item.Path, out _, out var whole);
            return FileContent.From(item, header, whole);
        }
        finally { context.AddBytes(client.BytesRead - before); }
    }

    private static byte[] ReadAt(Stream stream, long offset, int count, ItemContext context)
    {
        context.CancellationToken.ThrowIfCancellationRequested();
        stream.Position = offset;
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = stream.Read(buffer, read, count - read);
            if (n == 0) break; // the file is shorter than listed: give what there is
            read += n;
        }
        return read == count ? buffer : buffer[..read];
    }

    // Through a temporary file and an atomic rename, so a crash leaves no half file; remote names can
    // never write outside the download folder.
    private FileContent Download(FileItem item, SftpClient client, ItemContext context)
    {
        var target = LocalPathFor(item);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = target + $".part-{Guid.NewGuid():N}";
        var before = client.BytesRead;
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                client.Download(item.Path, file, context.CancellationToken, Options.BufferBytes);
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
        finally { context.AddBytes(client.BytesRead - before); }
        return FileContent.From(item, ReadOnlyMemory<byte>.Empty, whole: true, localPath: target);
    }

    /// <summary>Where a remote file lands: its folder and name below the download folder, with any part
    /// that could climb out ("..", absolute roots) refused.</summary>
    public string LocalPathFor(FileItem item)
    {
        var parts = (item.Folder == "." ? "" : item.Folder).Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Append(item.Name).ToList();
        if (parts.Any(p => p is "." or ".." || p.Contains('\\') || p.Contains('\0')))
            throw new InvalidDataException($"{item.Path}: refusing a remote name that would write outside {_downloadDir}");
        var full = Path.GetFullPath(Path.Combine([_downloadDir, .. parts]));
        if (!full.StartsWith(_downloadDir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidDataException($"{item.Path}: refusing a remote name that would write outside {_downloadDir}");
        return full;
    }
}
