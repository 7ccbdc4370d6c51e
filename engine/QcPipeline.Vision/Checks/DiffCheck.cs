using System.Globalization;
using QcPipeline.Vision.Interop;

namespace QcPipeline.Vision.Checks;

/// <summary>Parameters of <see cref="DiffCheck"/>. The defaults suit binarised scans (black
/// board, white copper or the reverse) saved as JPEG at different qualities, tuned on DeepPCB
/// without looking at single boards; see each property for why.</summary>
public sealed record DiffParameters
{
    /// <summary>Alignment search radius in pixels: the test crop is shifted by up to this much to
    /// best match the golden crop (least squared difference) before differencing. Absorbs small
    /// registration errors. Default 2; 0 turns alignment off.</summary>
    public int MaxShift { get; init; } = 2;

    /// <summary>Odd Gaussian kernel applied to both crops before differencing, to level JPEG
    /// ringing at edges. Default 3; 0 or 1 = none.</summary>
    public int BlurKernel { get; init; } = 3;

    /// <summary>Grey-level difference (0..255) counted as a defect pixel. Default 100: on a 0/255
    /// board a real copper change swings ~255, JPEG ringing (quality 75 vs 95) stays well below;
    /// on DeepPCB 64..160 all work, lower values start to pick up compression noise.</summary>
    public int Threshold { get; init; } = 100;

    /// <summary>Tolerance band in pixels: when above 0, a test pixel counts only when it is
    /// <see cref="Threshold"/> brighter than the brightest or darker than the darkest golden pixel
    /// within this radius, so an edge displaced by up to this much is not a defect. Default 0
    /// (plain absolute difference).</summary>
    public int Tolerance { get; init; }

    /// <summary>Odd square opening: drops difference lines thinner than this (edge jitter of one
    /// or two pixels). Default 3; 0 or 1 = none.</summary>
    public int OpenKernel { get; init; } = 3;

    /// <summary>Odd square closing after the opening: joins pieces of one defect. Default 3; 0 or 1 = none.</summary>
    public int CloseKernel { get; init; } = 3;

    /// <summary>Blobs with fewer pixels than this are ignored. Default 12.</summary>
    public int MinArea { get; init; } = 12;

    /// <summary>Known shift (x) of the whole test image against the golden one, e.g. from
    /// <see cref="Alignment.EstimateShift"/> or a template check on a fiducial; the alignment
    /// search is centred on it. Default 0.</summary>
    public int OffsetX { get; init; }

    /// <summary>Known shift (y), as <see cref="OffsetX"/>. Default 0.</summary>
    public int OffsetY { get; init; }

    /// <summary>At most this many blobs are reported per ROI (the largest). Default 64.</summary>
    public int MaxBlobs { get; init; } = 64;
}

/// <summary>Differences the test ROI (optionally aligned) with the golden ROI and reports the
/// connected blobs of changed pixels. Score = defect pixels; passes when no blob remains;
/// measures dx, dy (alignment shift), blobs (count).</summary>
public sealed class DiffCheck(DiffParameters parameters) : IRoiCheck
{
    /// <summary>The check's parameters.</summary>
    public DiffParameters Parameters { get; } = parameters;

    /// <inheritdoc />
    public string Kind => "diff";

    /// <inheritdoc />
    public CheckResult Run(Image test, Image golden, PixelBox roi)
    {
        var d = Detect(test, golden, roi);
        var passed = d.Blobs.Count == 0;
        var reason = passed
            ? "no difference blob"
            : string.Create(CultureInfo.InvariantCulture,
                $"{d.BlobCount} difference blob(s), {d.DefectArea} px, largest {d.Blobs[0]}");
        return new CheckResult(Kind, passed ? CheckStatus.Pass : CheckStatus.Fail, d.DefectArea, reason, d.Blobs,
            new Dictionary<string, double> { ["dx"] = d.Dx, ["dy"] = d.Dy, ["blobs"] = d.BlobCount });
    }

    /// <summary>The raw detection, without building a <see cref="CheckResult"/> (the lean path
    /// for tiling a whole board).</summary>
    public unsafe DiffDetection Detect(Image test, Image golden, PixelBox roi)
    {
        var p = new NativeDiffParams
        {
            MaxShift = Parameters.MaxShift,
            BlurKernel = Parameters.BlurKernel,
            Threshold = Parameters.Threshold,
            OpenKernel = Parameters.OpenKernel,
            CloseKernel = Parameters.CloseKernel,
            MinArea = Parameters.MinArea,
            OffsetX = Parameters.OffsetX,
            OffsetY = Parameters.OffsetY,
            Tolerance = Parameters.Tolerance,
        };
        var capacity = Math.Clamp(Parameters.MaxBlobs, 1, 4096);
        Span<NativeRect> rects = capacity <= 64 ? stackalloc NativeRect[capacity] : new NativeRect[capacity];
        Span<int> areas = capacity <= 64 ? stackalloc int[capacity] : new int[capacity];
        NativeDiffResult r;
        fixed (NativeRect* rp = rects)
        fixed (int* ap = areas)
            Native.Check(NativeMethods.qcv_check_diff(test.Handle, golden.Handle, roi, p, rp, ap, capacity, out r),
                $"diff check of {test.Source} at ROI {roi}");
        var count = Math.Min(r.BlobCount, capacity);
        var blobs = count == 0 ? Array.Empty<PixelBox>() : new PixelBox[count];
        for (var i = 0; i < count; i++) blobs[i] = rects[i].ToBox();
        return new DiffDetection(blobs, r.BlobCount, r.DefectArea, r.Dx, r.Dy);
    }
}

/// <summary>Blobs found by <see cref="DiffCheck.Detect"/>.</summary>
/// <param name="Blobs">Blob boxes in test-image pixels (after the chosen shift), largest first (at most MaxBlobs).</param>
/// <param name="BlobCount">All blobs kept, even beyond MaxBlobs.</param>
/// <param name="DefectArea">Pixels in kept blobs.</param>
/// <param name="Dx">Chosen alignment shift, x.</param>
/// <param name="Dy">Chosen alignment shift, y.</param>
public sealed record DiffDetection(IReadOnlyList<PixelBox> Blobs, int BlobCount, long DefectArea, int Dx, int Dy);
