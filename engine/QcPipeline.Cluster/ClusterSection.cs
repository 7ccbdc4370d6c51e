using QcPipeline.Core.Stages;

namespace QcPipeline.Cluster;

/// <summary>Adds the job-level cluster: section (the stages that may run on workers) to a registry.</summary>
public static class ClusterSection
{
    /// <summary>The section's key in job files.</summary>
    public const string Name = "cluster";

    /// <summary>Registers the cluster: section, bound to <see cref="ClusterOptions"/>.</summary>
    public static StageRegistry AddCluster(this StageRegistry registry) => registry.JobSection<ClusterOptions>(Name,
        "Scale-out: the stages that may run on workers (`./run.sh worker --cluster nats://HOST:4222`). Without a url (or --cluster) the job runs here as usual.");
}
