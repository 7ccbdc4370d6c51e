using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Media;

namespace QcPipeline.Files;

/// <summary>What files.read reads of each file (the same choice sftp.fetch offers).</summary>
public enum ReadMode
{
    /// <summary>Only the bytes metadata needs (for a JPEG, its segments before the image data).</summary>
    Header,
    /// <summary>The whole file: it is already on this machine, so the item names it (LocalPath) and no bytes are copied.</summary>
    Full,
}

/// <summary>Options of files.read: what to read of each file (its header or all of it) and how much of a header.</summary>
public sealed class LocalReadOptions : IAutoWorkers
{
    /// <summary>auto: one worker per core, at most eight (local disks gain little beyond).</summary>
    public int AutoWorkers => Math.Min(MaxAutoWorkers, Environment.ProcessorCount);

    private const int MaxAutoWorkers = 8;

    /// <summary>header: only the bytes metadata parsing needs; full: the whole file (read by the next stage from its path).</summary>
    [Option("header: only the bytes metadata parsing needs; full: the whole file (read by the next stage from its path).")]
    public ReadMode Mode { get; init; } = ReadMode.Header;

    /// <summary>Header mode: bytes read first; more are read only if the segments the next stage needs end further in.</summary>
    [Option("Header mode: bytes read first; more are read only if the segments the next stage needs end further in.", Min = 512, Max = 16 * 1024 * 1024)]
    public int HeaderBytes { get; init; } = 64 * 1024;

    /// <summary>Header mode: the most bytes read of one file, however long its header (protects against corrupt lengths).</summary>
    [Option("Header mode: the most bytes read of one file, however long its header (protects against corrupt lengths).", Min = 4096)]
    public int MaxHeaderBytes { get; init; } = 2 * 1024 * 1024;
}

/// <summary>
/// Reads listed local files into <see cref="FileContent"/>, as sftp.fetch does for remote ones, so the stages
/// after it work the same on a local folder and on an SFTP site. In header mode it reads what the stages after it
/// declare they need of a JPEG (gps.exif: EXIF and XMP) and stops there; without a declaration, every metadata
/// segment up to the image data.
/// </summary>
[Stage("files.read", "Reads each listed local file: only its metadata header (for a JPEG, the segments before the image data), or the whole file.", DefaultWorkers = "auto")]
public sealed class LocalReadStage : TransformStage<FileItem, FileContent, LocalReadOptions>
{
    private JpegHeaderNeeds? _needs;

    /// <inheritdoc />
    public override ValueTask StartAsync(CancellationToken ct)
    {
        _needs = JpegHeaderNeeds.Of(Context.Consumers);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask<FileContent> ProcessAsync(FileItem item, ItemContext context)
    {
        var path = item.LocalPath ?? throw new InvalidDataException($"{item.Path}: not a local file (files.read reads what files.list lists)");
        if (Options.Mode == ReadMode.Full)
        {
            // Check it is still there now, rather than fail later in a stage that does not know why.
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: the file is gone");
            return ValueTask.FromResult(FileContent.From(item, ReadOnlyMemory<byte>.Empty, whole: true, localPath: path));
        }
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.RandomAccess);
        long read = 0;
        var header = JpegMetadataExtent.ReadHeaderAsync((offset, count, _) =>
        {
            var buffer = new byte[count];
            var n = 0;
            while (n < count)
            {
                var more = RandomAccess.Read(file.SafeFileHandle, buffer.AsSpan(n), offset + n);
                if (more == 0) break;
                n += more;
            }
            read += n;
            return Task.FromResult(n == count ? buffer : buffer[..n]);
        }, file.Length, Options.HeaderBytes, Options.MaxHeaderBytes, _needs, path, context.CancellationToken).GetAwaiter().GetResult();
        context.AddBytes(read);
        return ValueTask.FromResult(FileContent.From(item, header.Bytes, header.IsWhole));
    }
}
