using QcPipeline.Core.Stages;

namespace QcPipeline.Cli;

/// <summary>The stage families this program offers. The engine knows none itself; each family registers here.</summary>
public static class StageCatalog
{
    public static StageRegistry Create() => new StageRegistry()
        .Add(typeof(QcPipeline.Files.FilesFamily).Assembly);
}
