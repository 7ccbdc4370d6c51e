using System.Globalization;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Vision.Checks;

/// <summary>Parameters of <see cref="DiffCheck"/>. The defaults suit binarised scans (black board, white copper or
/// the reverse) saved as JPEG at different qualities; see each property for why.</summary>
public sealed record DiffParameters
{
    /// <summary>Alignment search radius in pixels: the test crop is shifted by up to this much to best match the
    /// golden crop (least squared difference) before differencing. Absorbs small registration errors. Default 2;
    /// 0 turns alignment off.</summary>
    public int MaxShift { get; init; } = 2;

    /// <summary>Odd Gaussian kernel applied to both crops before differencing, to level JPEG ringing at edges.
    /// Default 3; 0 or 1 = none.</summary>
    public int BlurKernel { get; init; } = 3;

    /// <summary>Grey-level difference (0..255) counted as a defect pixel. Default 100: on a 0/255 board a real copper
    /// change swings ~255, JPEG ringing (quality 75 vs 95) stays well below.</summary>
    public int Threshold { get; init; } = 100;

    /// <summary>Tolerance band in pixels: when above 0, a test pixel counts only when it is <see cref="Threshold"/>
    /// brighter than the brightest or darker than the darkest golden pixel within this radius, so an edge displaced
    /// by up to this much is not a defect. Default 0 (plain absolute difference).</summary>
    public int Tolerance { get; init; }

    /// <summary>Odd square opening: drops difference lines thinner than this (edge jitter). Default 3; 0 or 1 = none.</summary>
    public int OpenKernel { get; init; } = 3;

    /// <summary>Odd square closing after the opening: joins pieces of one defect. Default 3; 0 or 1 = none.</summary>
    public int CloseKernel { get; init; } = 3;

    /// <summary>Blobs with fewer pixels than this are ignored. Default 12.</summary>
    public int MinArea { get; init; } = 12;

    /// <summary>Known shift (x) of the whole test image against the golden one, e.g. from
    /// <see cref="Alignment.EstimateShift"/>; the alignment search is centred on it. Default 0.</summary>
    public int OffsetX { get; init; }

    /// <summary>Known shift (y), as <see cref="OffsetX"/>. Default 0.</summary>
    public int OffsetY { get; init; }

    /// <summary>At most this many blobs are reported per ROI (the largest). Default 64.</summary>
    public int MaxBlobs { get; init; } = 64;

    /// <summary>Pixels around the ROI compared as well, so a defect cut by the ROI's border is seen (and typed)
    /// whole; each defect is reported by the ROI that holds the centre of its box. Default 24.</summary>
    public int ContextMargin { get; init; } = 24;

    /// <summary>Blobs longer than this many times their width (box sides) are dropped: long thin strips along an edge
    /// are what a registration error of a few pixels leaves, real defects are compact. Default 0: off.</summary>
    public double MaxElongation { get; init; }

    /// <summary>Type each blob (open, short, mousebite, spur, copper, pin-hole); off: "difference". Default on.</summary>
    public bool Classify { get; init; } = true;

    /// <summary>Which grey level is copper (for the type rules). Default dark, as on DeepPCB's scans.</summary>
    public CopperPolarity Copper { get; init; } = CopperPolarity.Dark;
}

/// <summary>Differences the test ROI (aligned) with the golden ROI and reports the connected blobs of changed
/// pixels, each typed (see <see cref="DefectClassifier"/>). Score = defect pixels; passes when no blob remains;
/// measures dx, dy (alignment shift), blobs (count).</summary>
public sealed class DiffCheck(DiffParameters parameters) : IRoiCheck
{
    /// <summary>The check's parameters.</summary>
    public DiffParameters Parameters { get; } = parameters;

    /// <inheritdoc />
    public CheckKind Kind => CheckKind.Diff;

    /// <inheritdoc />
    public CheckResult Run(Image test, Image golden, PixelBox roi)
    {
        var d = Detect(test, golden, roi);
        var passed = d.Defects.Count == 0;
        var reason = passed
            ? "no difference blob"
            : string.Create(CultureInfo.InvariantCulture,
                $"{d.BlobCount} defect(s), {d.DefectArea} px, largest {DefectTypes.Name(d.Defects[0].Type)} at {d.Defects[0].Box}");
        return new CheckResult(Kind, passed ? CheckStatus.Pass : CheckStatus.Fail, d.DefectArea, reason, d.Defects,
            new Dictionary<string, double> { ["dx"] = d.Dx, ["dy"] = d.Dy, ["blobs"] = d.BlobCount });
    }

    /// <summary>The raw detection, without building a <see cref="CheckResult"/>.</summary>
    public DiffDetection Detect(Image test, Image golden, PixelBox roi) => DiffEngine.Detect(test, golden, roi, Parameters);
}

/// <summary>Defects found by <see cref="DiffCheck.Detect"/>.</summary>
/// <param name="Defects">Typed defects in test-image pixels (after the chosen shift), largest first (at most MaxBlobs).</param>
/// <param name="BlobCount">All defects kept, even beyond MaxBlobs.</param>
/// <param name="DefectArea">Pixels in kept defects.</param>
/// <param name="Dx">Chosen alignment shift, x.</param>
/// <param name="Dy">Chosen alignment shift, y.</param>
public sealed record DiffDetection(IReadOnlyList<Defect> Defects, int BlobCount, long DefectArea, int Dx, int Dy)
{
    /// <summary>The defects' boxes.</summary>
    public IReadOnlyList<PixelBox> Blobs => Defects.Select(d => d.Box).ToList();
}
