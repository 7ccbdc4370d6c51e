using System.Diagnostics;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Files;

namespace QcPipeline.Cluster.TestWorker;

public sealed class PaceOptions
{
    [Option("Time each item takes here.")]
    public TimeSpan Delay { get; init; }

    [Option("A file name: the process that handles it dies at once (SIGKILL), as a native crash would.")]
    public string CrashOn { get; init; } = "";
}

/// <summary>Passes each fetched file on after a delay; kills its own process on one file (a poison item).</summary>
[Stage("test.pace", "Test stage: passes items on after a delay; kills its process on the file named by crash_on.")]
public sealed class PaceStage : TransformStage<FileContent, FileContent, PaceOptions>
{
    public override async ValueTask<FileContent> ProcessAsync(FileContent item, ItemContext context)
    {
        if (Options.CrashOn.Length > 0 && item.Name == Options.CrashOn) Process.GetCurrentProcess().Kill();
        if (Options.Delay > TimeSpan.Zero) await Task.Delay(Options.Delay, context.CancellationToken);
        return item;
    }
}

/// <summary>Registers test.pace.</summary>
public static class PaceFamily
{
    public static StageRegistry AddPace(this StageRegistry registry) =>
        registry.Transform<PaceStage, FileContent, FileContent, PaceOptions>();
}
