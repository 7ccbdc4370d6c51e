using System.Collections.Concurrent;
using System.Diagnostics;
using QcPipeline.Core.Stages;
using QcPipeline.Vision;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Inspection;

/// <summary>A file that comes with its own reference image (a DeepPCB test image and its template)
/// and, optionally, its ground truth.</summary>
public sealed record PairedFile(string Origin, string Path, string Folder, string Name, long Size, DateTimeOffset Modified,
    string Golden, string? Truth) : FileItem(Origin, Path, Folder, Name, Size, Modified);

/// <summary>
/// The pixels of one image, held once by its parent item and shared by reference with its ROI children
/// (which carry only descriptors). The join releases it; only an image that did not pass keeps it until
/// the verdict sink has drawn its annotation.
/// </summary>
public sealed class SharedImage : IDisposable
{
    private readonly ConcurrentDictionary<Image, Lazy<(int Dx, int Dy)>> _shifts = new(ReferenceEqualityComparer.Instance);
    private Image? _image;
    private Image? _golden;

    /// <summary>Holds <paramref name="image"/> (null when it could not be decoded: <paramref name="error"/> says why), and the image's own golden when it came with one.</summary>
    public SharedImage(Image? image, string? error, long startedTicks, Image? ownGolden = null, string? ownGoldenError = null)
    {
        _image = image; _golden = ownGolden; Error = error; OwnGoldenError = ownGoldenError; StartedTicks = startedTicks;
        Width = image?.Width ?? 0; Height = image?.Height ?? 0;
    }

    /// <summary>The decoded image, or null when it could not be read (see <see cref="Error"/>) or was released.</summary>
    public Image? Image => _image;

    /// <summary>The image's own golden (a DeepPCB template), when it came with one.</summary>
    public Image? OwnGolden => _golden;

    /// <summary>Why the image's own golden could not be read (its comparing ROIs end as errors with this reason).</summary>
    public string? OwnGoldenError { get; }

    /// <summary>Why the image could not be decoded (its ROIs all end as errors with this reason).</summary>
    public string? Error { get; }

    /// <summary>Width in pixels (0 when the image could not be decoded); kept after the pixels are released.</summary>
    public int Width { get; }
    /// <summary>Height in pixels (0 when the image could not be decoded); kept after the pixels are released.</summary>
    public int Height { get; }

    /// <summary>When loading began (Stopwatch ticks): an image's "ms" runs from here to its join.</summary>
    public long StartedTicks { get; }

    /// <summary>The pixels were decoded and have since been released.</summary>
    public bool Released => _image is null && Error is null;

    /// <summary>The whole-image shift of this image against <paramref name="golden"/>, computed once
    /// however many ROIs ask for it.</summary>
    public (int Dx, int Dy) ShiftAgainst(Image golden, int maxShift)
    {
        var image = _image ?? throw new ObjectDisposedException("image already released");
        return _shifts.GetOrAdd(golden, g => new Lazy<(int, int)>(() => Alignment.EstimateShift(image, g, maxShift))).Value;
    }

    /// <summary>Milliseconds since loading began.</summary>
    public double ElapsedMs => Stopwatch.GetElapsedTime(StartedTicks).TotalMilliseconds;

    /// <summary>Releases the image and its own golden (safe to call more than once).</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _image, null)?.Dispose();
        Interlocked.Exchange(ref _golden, null)?.Dispose();
    }
}

/// <summary>A decoded image (or the reason it could not be decoded), keyed by its file.</summary>
public sealed record LoadedImage(FileItem File, SharedImage Pixels) : IItem
{
    /// <inheritdoc />
    public string Key => File.Key;
}

/// <summary>One ROI of one image to check: a descriptor and a reference to the parent's pixels.</summary>
public sealed record RoiTask(LoadedImage Image, RoiPlan Roi, int Index) : IItem
{
    /// <inheritdoc />
    public string Key => $"{Image.Key}#{Roi.Name}";
}

/// <summary>How a ROI (or an image) came out.</summary>
public enum RoiStatus
{
    /// <summary>The check found nothing wrong.</summary>
    Pass,
    /// <summary>The check did not pass: a defect found, or a score or measure out of its range.</summary>
    Fail,
    /// <summary>The ROI could not be checked (its image or golden unreadable, the check threw); ranks above fail.</summary>
    Error,
}

/// <summary>The result of one ROI.</summary>
public sealed record RoiResult(LoadedImage Image, RoiPlan Roi, RoiStatus Status, double? Score, string Reason,
    IReadOnlyList<Defect> Defects, double Ms) : IItem
{
    /// <inheritdoc />
    public string Key => $"{Image.Key}#{Roi.Name}";
}

/// <summary>All ROI results of one image and its verdict: error if any ROI is an error, else fail if any failed;
/// <see cref="Defects"/> are the image's defects in its pixels, most confident first.</summary>
public sealed record ImageVerdict(FileItem File, RoiStatus Verdict, double Ms, IReadOnlyList<RoiResult> Rois,
    IReadOnlyList<Defect> Defects, int Width, int Height) : IItem
{
    /// <inheritdoc />
    public string Key => File.Key;

    /// <summary>The pixels, kept only for an image that did not pass (for its annotation); the sink releases them.</summary>
    public SharedImage? Pixels { get; init; }

    /// <summary>The worst of <paramref name="statuses"/> (error over fail over pass); pass when there are none.</summary>
    public static RoiStatus Combine(IEnumerable<RoiStatus> statuses)
    {
        var verdict = RoiStatus.Pass;
        foreach (var s in statuses)
            if (s > verdict) verdict = s;
        return verdict;
    }
}
