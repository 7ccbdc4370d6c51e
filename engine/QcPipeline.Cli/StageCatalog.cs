using QcPipeline.Core.Stages;

namespace QcPipeline.Cli;

/// <summary>The stage families this program offers. The engine knows none itself; each family registers here.</summary>
public static class StageCatalog
{
    // "host: demo" serves a generated survey site (the site-scan family knows how one looks).
    static StageCatalog() => QcPipeline.Sftp.SftpEndpoint.DemoContent = dir => QcPipeline.SiteScan.Generation.SiteGenerator.Demo(dir);

    public static StageRegistry Create() => new StageRegistry()
        .Add(typeof(QcPipeline.Files.FilesFamily).Assembly)
        .Add(typeof(QcPipeline.Sftp.SftpFamily).Assembly)
        .Add(typeof(QcPipeline.SiteScan.SiteScanFamily).Assembly)
        .Add(typeof(QcPipeline.Inspection.InspectionFamily).Assembly);
}
