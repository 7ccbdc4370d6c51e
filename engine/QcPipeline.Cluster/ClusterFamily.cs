using QcPipeline.Core.Stages;

namespace QcPipeline.Cluster;

/// <summary>Adds the job-level cluster: section (the stages that may run on workers).</summary>
public static class ClusterFamily
{
    /// <summary>The section's key in job files.</summary>
    public const string Section = "cluster";

    /// <summary>Registers the cluster: section.</summary>
    public static StageRegistry AddCluster(this StageRegistry registry) => registry.JobSection<ClusterOptions>(Section,
        "Scale-out: the stages that may run on workers (`./run.sh worker --cluster nats://HOST:4222`), items delivered through NATS JetStream. Without a url (or --cluster) the job runs here as usual.");
}
