using System.Diagnostics.CodeAnalysis;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Media;

namespace QcPipeline.SiteScan;

/// <summary>Options of gps.exif: the reading cache and the most header bytes read of a file given by path.</summary>
public sealed class ExifGpsOptions
{
    /// <summary>Remember each photo's reading between runs (keyed by host, path, size and modification time), so a second run of the same site fetches nothing. --no-cache turns it off for one run.</summary>
    [Option("Remember each photo's reading between runs (keyed by host, path, size and modification time), so a second run of the same site fetches nothing. --no-cache turns it off for one run.")]
    public bool Cache { get; init; } = true;

    /// <summary>Where the cache is kept. Default: $XDG_CACHE_HOME/qcpipeline, else ~/.cache/qcpipeline.</summary>
    [Option("Where the cache is kept. Default: $XDG_CACHE_HOME/qcpipeline, else ~/.cache/qcpipeline.", IsPath = true)]
    public string CacheDir { get; init; } = "";

    /// <summary>For files given by path (full fetch or files.read mode: full): the most header bytes read of one file.</summary>
    [Option("For files given by path (full fetch or files.read mode: full): the most header bytes read of one file.", Min = 4096)]
    public int MaxHeaderBytes { get; init; } = 2 * 1024 * 1024;
}

/// <summary>The stage's failure for an image that is not a readable JPEG: one line, no stack trace.</summary>
public sealed class GpsReadException(string message) : Exception(message);

/// <summary>
/// Reads each photo's GPS, time, camera and DJI flight data from the bytes a fetch produced (or the file it
/// downloaded). Photos without a usable position pass on as no_gps or suspect with the reason; bytes that are
/// not a readable JPEG fail the item with the reason (and are read again next run: a truncated file may be one
/// still being uploaded). Readings are cached per photo between runs.
/// </summary>
[Stage("gps.exif", "Reads each photo's EXIF GPS (position, altitude, time), camera and DJI flight data (relative altitude, gimbal); remembers readings between runs.", DefaultWorkers = "2")]
public sealed class ExifGpsStage : TransformStage<FileContent, GpsPoint, ExifGpsOptions>, IResultCache, IJpegHeaderReader
{
    /// <summary>GPS, time and camera are in EXIF; DJI flight data in XMP: a fetch before this stage reads just those.</summary>
    public JpegHeaderNeeds HeaderNeeds { get; } = JpegHeaderNeeds.Of(JpegSegmentKind.ExifTags, JpegSegmentKind.Xmp); // GPS and DJI fields: no thumbnail

    private PhotoCache? _cache;

    /// <inheritdoc />
    public override ValueTask StartAsync(CancellationToken ct)
    {
        if (Options.Cache && !Context.CacheDisabled)
            _cache = new PhotoCache(Options.CacheDir.Length > 0 ? Options.CacheDir : PhotoCache.DefaultDirectory(), Context.Warn);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask StopAsync()
    {
        _cache?.Save();
        _cache?.Dispose();
        _cache = null;
        return ValueTask.CompletedTask;
    }

    // Parsing is quick and deterministic: a bad file stays bad, so only I/O on a downloaded file is retried.
    /// <inheritdoc />
    public override bool IsTransient(Exception error) => error is IOException and not FileNotFoundException and not DirectoryNotFoundException;

    /// <inheritdoc />
    public override ValueTask<GpsPoint> ProcessAsync(FileContent item, ItemContext context)
    {
        var reading = GpsReader.Read(item, Options.MaxHeaderBytes);
        context.Tag("qc.gps.status", reading.Status.Name());
        if (reading.Status == GpsStatus.Error) throw new GpsReadException(reading.Reason ?? "unreadable");
        return ValueTask.FromResult(GpsPoint.From(item, reading));
    }

    /// <inheritdoc />
    public bool TryGet(IItem source, [NotNullWhen(true)] out IItem? result)
    {
        result = null;
        if (_cache is null || source is not FileItem f) return false;
        if (!_cache.TryGet(f.Origin, f.Path, f.Size, f.Modified, out var reading)) return false;
        result = GpsPoint.From(f, reading);
        return true;
    }

    /// <inheritdoc />
    public void Put(IItem source, IItem result)
    {
        if (_cache is not null && source is FileItem f && result is GpsPoint p) _cache.Put(f.Origin, f.Path, f.Size, f.Modified, p.Gps);
    }
}
