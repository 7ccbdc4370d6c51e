using QcPipeline.Cluster;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using QcPipeline.Inspection;
using QcPipeline.Sftp;
using QcPipeline.SiteScan;

namespace QcPipeline.Cli;

/// <summary>The stage families this program offers. The engine knows none itself; each family registers here.</summary>
public static class StageCatalog
{
    // "host: demo" serves a generated survey site (the site-scan family knows how one looks).
    static StageCatalog() => QcPipeline.Sftp.SftpEndpoint.DemoContent = dir => QcPipeline.SiteScan.Generation.SiteGenerator.Demo(dir);

    /// <summary>Every stage and connection type of the shipped families.</summary>
    public static StageRegistry Create() => new StageRegistry().AddFiles().AddSftp().AddSiteScan().AddInspection().AddCluster();
}
