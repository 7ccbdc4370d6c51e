namespace QcPipeline.Cli;

/// <summary>The exit codes users and scripts rely on.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The job ran but items failed beyond its error budget (or the run itself failed).</summary>
    public const int RunFailed = 1;
    /// <summary>An invalid job or invalid arguments.</summary>
    public const int Invalid = 2;
    public const int Cancelled = 130;
}
