namespace QcPipeline.Core.Options;

/// <summary>
/// A stage's parallelism: a number, or "auto" where the stage type defines a policy
/// (for example a pool of connections that follows the number of items listed).
/// </summary>
public readonly record struct Workers(int Count)
{
    /// <summary>"auto": the stage type decides.</summary>
    public static readonly Workers Auto = new(0);
    /// <summary>True for "auto".</summary>
    public bool IsAuto => Count == 0;
    /// <summary>The number, or "auto".</summary>
    public override string ToString() => IsAuto ? "auto" : Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
