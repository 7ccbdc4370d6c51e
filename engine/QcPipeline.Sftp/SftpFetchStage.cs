using QcPipeline.Core.Options;
using QcPipeline.Core.Outputs;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using QcPipeline.Media;
using QcPipeline.Ssh;

namespace QcPipeline.Sftp;

/// <summary>What sftp.fetch reads of each file.</summary>
public enum FetchMode
{
    /// <summary>Only the bytes metadata needs (for a JPEG, the segments the next stage needs, or all before the image data).</summary>
    Header,
    /// <summary>The whole file, downloaded to a local folder.</summary>
    Full,
}

/// <summary>Options of sftp.fetch: the connection, what to fetch of each file, and how many requests go at once.</summary>
public sealed class SftpFetchOptions : IAutoWorkers, ISharedResources
{
    /// <summary>auto: at most four connections (see SftpFetchStage.AutoPoolSize for how many open).</summary>
    public int AutoWorkers => SftpFetchStage.MaxAutoConnections;

    /// <summary>Headers in flight on one connection (measured: as fast as 64, fewer bytes).</summary>
    public const int HeadersPerConnection = 32;

    /// <summary>Whole files in flight on one connection.</summary>
    public const int DownloadsPerConnection = 4;

    /// <summary>Files in flight on one connection: 32 headers, or 4 whole files.</summary>
    public int ItemsPerResource => RequestsPerConnection > 0 ? RequestsPerConnection : Mode == FetchMode.Header ? HeadersPerConnection : DownloadsPerConnection;

    /// <summary>The connection to fetch from (a name under connections:).</summary>
    [Option("The connection to fetch from (a name under connections:).", Required = true)]
    public SftpConnectionOptions Connection { get; init; } = new();

    /// <summary>header: only the bytes metadata parsing needs; full: download whole files to download_dir.</summary>
    [Option("header: only the bytes metadata parsing needs; full: download whole files to download_dir.")]
    public FetchMode Mode { get; init; } = FetchMode.Header;

    /// <summary>Files each connection has in flight at once (one SFTP connection answers many requests at a time). 0: 32 in header mode, 4 in full mode.</summary>
    [Option("Files each connection has in flight at once (one SFTP connection answers many requests at a time). 0: 32 in header mode, 4 in full mode.", Min = 0, Max = 256)]
    public int RequestsPerConnection { get; init; }

    /// <summary>Header mode: bytes asked for in a file's first request. 0: learnt from the files read so far (photos of one camera share a header length), starting at 16 KiB.</summary>
    [Option("Header mode: bytes asked for in a file's first request. 0: learnt from the files read so far (photos of one camera share a header length), starting at 16 KiB.", Min = 0, Max = 16 * 1024 * 1024)]
    public int HeaderBytes { get; init; }

    /// <summary>Header mode: the most bytes read of one file, however long its header (protects against corrupt lengths).</summary>
    [Option("Header mode: the most bytes read of one file, however long its header (protects against corrupt lengths).", Min = 4096)]
    public int MaxHeaderBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>Full mode: where files are downloaded (their remote folders are kept below it; nothing is written through a symbolic link there). Default: files/ in the output folder.</summary>
    [Option("Full mode: where files are downloaded (their remote folders are kept below it; nothing is written through a symbolic link there). Default: files/ in the output folder.", IsPath = true)]
    public string DownloadDir { get; init; } = "";
}

/// <summary>
/// Fetches listed files with a pool of SFTP connections: one per worker, for the whole run, each with up to
/// requests_per_connection files in flight at once. In header mode each file costs an open, usually one read
/// sized to what the next stage needs (learnt from the files before it) and a close nobody waits for. A
/// connection that dies is replaced (waiting out a short outage) and its files retried.
/// </summary>
[Stage("sftp.fetch", "Reads each listed file over SFTP with a pool of connections (workers = pool size), many files in flight on each: only its metadata header, or the whole file to a local folder.", DefaultWorkers = "auto")]
public sealed class SftpFetchStage : PooledTransformStage<FileItem, FileContent, SftpFetchOptions, SftpConnection>
{
    private const int DefaultFirstRead = 16 * 1024;

    // The learner's first read never grows past this, whatever max_header_bytes allows: a header beyond it is
    // rare, and is read on in further requests.
    private const int MaxLearnedFirstRead = 256 * 1024;

    /// <summary>The most connections "auto" opens.</summary>
    public const int MaxAutoConnections = 4;

    // "auto": this many files or fewer share one connection; above it, one connection per FilesPerAutoConnection
    // files, at least two.
    private const int OneConnectionFiles = 10, FilesPerAutoConnection = 50, MinAutoConnections = 2;

    private SftpEndpoint? _endpoint;
    private JpegHeaderNeeds? _needs;
    private HeaderSizeLearner _learner = new(DefaultFirstRead, MaxLearnedFirstRead);
    private LocalFiles? _files;

    /// <summary>Our users' policy for "auto": 10 files or fewer, one connection; else min(4, max(2, files/50)).</summary>
    public static int AutoPoolSize(long files) =>
        files <= OneConnectionFiles ? 1 : (int)Math.Min(MaxAutoConnections, Math.Max(MinAutoConnections, files / FilesPerAutoConnection));

    /// <inheritdoc />
    public override int PoolTarget(long itemsSeen, bool inputComplete, int max) => Math.Min(max, AutoPoolSize(itemsSeen));

    /// <inheritdoc />
    public override async ValueTask StartAsync(CancellationToken ct)
    {
        _endpoint = await SftpEndpoint.ForAsync(Options.Connection, Context, ct).ConfigureAwait(false);
        _needs = JpegHeaderNeeds.Of(Context.Consumers);
        _learner = new HeaderSizeLearner(Options.HeaderBytes > 0 ? Options.HeaderBytes : DefaultFirstRead, Math.Min(Options.MaxHeaderBytes, MaxLearnedFirstRead));
        _files = new LocalFiles(Options.DownloadDir.Length > 0 ? Options.DownloadDir : Path.Combine(Context.OutputDirectory, "files"));
    }

    // The first worker shares the listing's connection when there is one (it is open already); the others open their own.
    /// <inheritdoc />
    public override async ValueTask<SftpConnection> OpenAsync(int worker, CancellationToken ct) =>
        _endpoint!.TakeOffered() ?? await _endpoint.ConnectAsync(ct).ConfigureAwait(false);

    /// <inheritdoc />
    public override bool IsTransient(Exception error) => error is SshException { IsTransient: true } or IOException or TimeoutException;

    /// <inheritdoc />
    public override bool IsBroken(SftpConnection resource, Exception error) => error is SshException { ConnectionBroken: true } || !resource.IsConnected;

    // SSH.NET sends the keepalives itself (keepalive: on the connection).
    /// <inheritdoc />
    public override TimeSpan KeepAliveInterval => TimeSpan.Zero;

    /// <inheritdoc />
    public override void Abort(SftpConnection resource) => resource.Abort();

    /// <inheritdoc />
    public override ValueTask<FileContent> ProcessAsync(FileItem item, SftpConnection client, ItemContext context) =>
        new(Options.Mode == FetchMode.Header ? FetchHeaderAsync(item, client, context) : DownloadAsync(item, client, context));

    private async Task<FileContent> FetchHeaderAsync(FileItem item, SftpConnection client, ItemContext context)
    {
        var ct = context.CancellationToken;
        IReadOnlyList<JpegMetadataExtent.Range> first = Options.HeaderBytes > 0 ? [new(0, Options.HeaderBytes)] : _learner.FirstReads(item.Size);
        long received = 0;
        try
        {
            using var file = await client.OpenAsync(item.Path, first[0].Length, ct).ConfigureAwait(false);
            var header = await JpegMetadataExtent.ReadHeaderAsync(async (offset, count, c) =>
            {
                var bytes = await file.ReadAtAsync(offset, count, c).ConfigureAwait(false);
                Interlocked.Add(ref received, bytes.Length);
                return bytes;
            }, item.Size, first, Options.MaxHeaderBytes, _needs, item.Path, ct).ConfigureAwait(false);
            if (header.IsJpeg) _learner.Learn(item.Size, header.Touched);
            context.Tag("qc.requests", header.Requests);
            return FileContent.From(item, header.Bytes, header.IsWhole);
        }
        finally { context.AddBytes(received); }
    }

    // Through a temporary file and an atomic rename, so a crash leaves no half file; remote names can never write
    // outside the download folder, and nothing is written through a symbolic link below it.
    private async Task<FileContent> DownloadAsync(FileItem item, SftpConnection client, ItemContext context)
    {
        var target = _files!.PrepareTarget(item);
        long length = 0;
        try
        {
            // The temporary file is created exclusively (a link at its name is not followed) and renamed over the
            // target (rename(2) replaces a link at the name, never writes through it).
            await AtomicFile.WriteAsync(target, async file =>
                length = await client.DownloadAsync(item.Path, file, item.Size, context.CancellationToken).ConfigureAwait(false),
                LocalFiles.Download).ConfigureAwait(false);
        }
        finally { context.AddBytes(length); }
        return FileContent.From(item, ReadOnlyMemory<byte>.Empty, whole: true, localPath: target);
    }

    /// <summary>Where a remote file lands: its folder and name below the download folder, with any part that
    /// could climb out ("..", absolute roots) refused.</summary>
    public string LocalPathFor(FileItem item) => _files!.PathFor(item);
}
