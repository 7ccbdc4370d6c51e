namespace QcPipeline.Core.Options;

/// <summary>
/// A stage's parallelism: a number, or "auto" where the stage type defines a policy
/// (for example the SFTP pool follows the number of files listed).
/// </summary>
public readonly record struct Workers(int Count)
{
    public static readonly Workers Auto = new(0);
    public bool IsAuto => Count == 0;
    public override string ToString() => IsAuto ? "auto" : Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
