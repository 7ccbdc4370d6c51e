using QcPipeline.Core.Options;
using QcPipeline.Vision.Checks;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Inspection.Checks;

/// <summary>Parameters of the diff check (defaults from <see cref="DiffParameters"/>).</summary>
public sealed class DiffOptions
{
    private static readonly DiffParameters D = new();

    /// <summary>The test crop is shifted by up to this many pixels to best match the golden crop before differencing (0: no alignment).</summary>
    [Option("The test crop is shifted by up to this many pixels to best match the golden crop before differencing (0: no alignment).", Min = 0, Max = 256)]
    public int MaxShift { get; init; } = D.MaxShift;

    /// <summary>Odd Gaussian kernel applied to both crops before differencing (0 or 1: none).</summary>
    [Option("Odd Gaussian kernel applied to both crops before differencing (0 or 1: none).", Min = 0, Max = 99)]
    public int BlurKernel { get; init; } = D.BlurKernel;

    /// <summary>Grey-level difference (0..255) counted as a defect pixel.</summary>
    [Option("Grey-level difference (0..255) counted as a defect pixel.", Min = 0, Max = 255)]
    public int Threshold { get; init; } = D.Threshold;

    /// <summary>Tolerance band in pixels: a test pixel counts only if it lies outside the golden's min..max over this radius (0: plain difference).</summary>
    [Option("Tolerance band in pixels: a test pixel counts only if it lies outside the golden's min..max over this radius (0: plain difference).", Min = 0, Max = 16)]
    public int Tolerance { get; init; } = D.Tolerance;

    /// <summary>Odd square opening that drops difference lines thinner than this (0 or 1: none).</summary>
    [Option("Odd square opening that drops difference lines thinner than this (0 or 1: none).", Min = 0, Max = 99)]
    public int OpenKernel { get; init; } = D.OpenKernel;

    /// <summary>Odd square closing that joins pieces of one defect (0 or 1: none).</summary>
    [Option("Odd square closing that joins pieces of one defect (0 or 1: none).", Min = 0, Max = 99)]
    public int CloseKernel { get; init; } = D.CloseKernel;

    /// <summary>Blobs with fewer pixels than this are ignored.</summary>
    [Option("Blobs with fewer pixels than this are ignored.", Min = 0)]
    public int MinArea { get; init; } = D.MinArea;

    /// <summary>At most this many defects are reported per ROI (the largest).</summary>
    [Option("At most this many defects are reported per ROI (the largest).", Min = 1, Max = 4096)]
    public int MaxBlobs { get; init; } = D.MaxBlobs;

    /// <summary>Pixels around the ROI compared too, so a defect cut by the ROI's border is seen and typed whole; each defect is reported by the ROI holding its centre.</summary>
    [Option("Pixels around the ROI compared too, so a defect cut by the ROI's border is seen and typed whole; each defect is reported by the ROI holding its centre.", Min = 0, Max = 1024)]
    public int ContextMargin { get; init; } = D.ContextMargin;

    /// <summary>Drop blobs longer than this many times their width (long thin strips along edges are what a registration error leaves); 0: off.</summary>
    [Option("Drop blobs longer than this many times their width (long thin strips along edges are what a registration error leaves); 0: off.", Min = 0, Max = 1000)]
    public double MaxElongation { get; init; } = D.MaxElongation;

    /// <summary>Type each defect (open, short, mousebite, spur, copper, pin-hole) by its sign, connectivity and contact with the golden's copper; false: 'difference'.</summary>
    [Option("Type each defect (open, short, mousebite, spur, copper, pin-hole) by its sign, connectivity and contact with the golden's copper; false: 'difference'.")]
    public bool Classify { get; init; } = D.Classify;

    /// <summary>Which grey level is copper, for the type rules.</summary>
    [Option("Which grey level is copper, for the type rules.")]
    public CopperPolarity Copper { get; init; } = D.Copper;
}

/// <summary>diff: typed defect blobs against the golden crop.</summary>
public sealed class DiffComponent : CheckComponent<DiffOptions>
{
    /// <inheritdoc />
    public override CheckKind Kind => CheckKind.Diff;

    /// <inheritdoc />
    public override bool NeedsGolden => true;

    /// <inheritdoc />
    protected override IRoiCheck Create(DiffOptions o, int offsetX, int offsetY) => new DiffCheck(new DiffParameters
    {
        MaxShift = o.MaxShift, BlurKernel = o.BlurKernel, Threshold = o.Threshold, Tolerance = o.Tolerance,
        OpenKernel = o.OpenKernel, CloseKernel = o.CloseKernel, MinArea = o.MinArea, MaxBlobs = o.MaxBlobs,
        ContextMargin = o.ContextMargin, MaxElongation = o.MaxElongation, Classify = o.Classify, Copper = o.Copper, OffsetX = offsetX, OffsetY = offsetY,
    });
}
