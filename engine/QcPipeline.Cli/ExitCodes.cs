namespace QcPipeline.Cli;

/// <summary>The exit codes users and scripts rely on.</summary>
public static class ExitCodes
{
    /// <summary>The job ran and its failures, if any, stayed within its error budget.</summary>
    public const int Success = 0;
    /// <summary>The job ran but items failed beyond its error budget (or the run itself failed).</summary>
    public const int RunFailed = 1;
    /// <summary>An invalid job, invalid arguments, or an output folder that cannot be written.</summary>
    public const int Invalid = 2;

    /// <summary>Stopped by Ctrl+C or SIGTERM (outputs written, what was not processed listed).</summary>
    public const int Cancelled = 130;
}
