using QcPipeline.Cluster;
using QcPipeline.Core.Stages;
using QcPipeline.Demo;
using QcPipeline.Files;
using QcPipeline.Inspection;
using QcPipeline.Sftp;
using QcPipeline.SiteScan;
using QcPipeline.Telemetry;

namespace QcPipeline.Cli;

/// <summary>The stage families this program offers, and the job sections of the projects it wires in (where telemetry
/// goes, scale-out). The engine knows none itself; each registers here.</summary>
public static class StageCatalog
{
    private static readonly List<Func<StageRegistry, StageRegistry>> Extensions = [];

    /// <summary>Every stage and connection type of the shipped families (and of those a program embedding the CLI added),
    /// with the demo server behind host: demo, the telemetry: keys of the exporter and the cluster: section.</summary>
    public static StageRegistry Create() =>
        Extensions.Aggregate(new StageRegistry().AddFiles().AddSftp().AddDemo().AddSiteScan().AddInspection().AddTelemetry().AddCluster(),
            (r, add) => add(r));

    /// <summary>Adds a family of a program that embeds this CLI (its own stages beside the shipped ones).</summary>
    public static void Extend(Func<StageRegistry, StageRegistry> family)
    {
        lock (Extensions) Extensions.Add(family);
    }
}
