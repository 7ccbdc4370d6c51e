namespace QcPipeline.Vision.Defects;

/// <summary>What a defect is. The first six are DeepPCB's classes, in its numbering (1..6).</summary>
public enum DefectType
{
    /// <summary>Copper missing so that a conductor is cut in two (more copper pieces than the golden).</summary>
    Open = 1,
    /// <summary>Copper added so that two conductors touch (fewer copper pieces than the golden).</summary>
    Short = 2,
    /// <summary>Copper missing at a conductor's edge, the conductor still whole.</summary>
    Mousebite = 3,
    /// <summary>Copper added at a conductor's edge, attached to it.</summary>
    Spur = 4,
    /// <summary>Spurious copper: an island of added copper touching no conductor.</summary>
    Copper = 5,
    /// <summary>A hole inside copper, touching none of its edges.</summary>
    PinHole = 6,
    /// <summary>A difference blob left untyped (typing turned off).</summary>
    Difference = 7,
    /// <summary>A whole ROI that failed a template, intensity or edges check.</summary>
    Region = 8,
}

/// <summary>One defect in test-image pixels.</summary>
/// <param name="Box">Where it is (right and bottom exclusive).</param>
/// <param name="Type">What it is.</param>
/// <param name="Confidence">How sure the detector is, 0..1: that it is a defect at all, times how clearly its type rule applied.</param>
/// <param name="Area">Changed pixels (0 for a region).</param>
public sealed record Defect(PixelBox Box, DefectType Type, double Confidence, int Area = 0)
{
    /// <summary>A failed ROI as a whole.</summary>
    public static Defect Region(PixelBox roi) => new(roi, DefectType.Region, 1);
}

/// <summary>Names of defect types as written in results and in DeepPCB's submission format.</summary>
public static class DefectTypes
{
    /// <summary>open, short, mousebite, spur, copper, pin-hole, difference, region.</summary>
    public static string Name(DefectType t) => t switch
    {
        DefectType.Open => "open",
        DefectType.Short => "short",
        DefectType.Mousebite => "mousebite",
        DefectType.Spur => "spur",
        DefectType.Copper => "copper",
        DefectType.PinHole => "pin-hole",
        DefectType.Difference => "difference",
        _ => "region",
    };

    /// <summary>DeepPCB's six classes, in their order.</summary>
    public static readonly DefectType[] DeepPcb =
        [DefectType.Open, DefectType.Short, DefectType.Mousebite, DefectType.Spur, DefectType.Copper, DefectType.PinHole];

    /// <summary>The type of a name, or null.</summary>
    public static DefectType? Parse(string name) =>
        Enum.GetValues<DefectType>().Select(t => (DefectType?)t).FirstOrDefault(t => Name(t!.Value) == name);
}
