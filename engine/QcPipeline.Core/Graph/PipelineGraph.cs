using QcPipeline.Core.Jobs;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Graph;

/// <summary>One stage in the compiled graph: its definition, links, resolved parallelism and execution
/// policy. No stage instance: the runtime makes one per run from the descriptor.</summary>
public sealed class GraphNode
{
    internal GraphNode(StageDefinition definition) => Definition = definition;

    /// <summary>The stage as the job defines it.</summary>
    public StageDefinition Definition { get; }
    /// <summary>The stage's name in the job.</summary>
    public string Name => Definition.Name;
    /// <summary>The stage's type.</summary>
    public StageDescriptor Descriptor => Definition.Descriptor!;
    /// <summary>The stages this one reads from.</summary>
    public List<GraphNode> Upstream { get; } = [];
    /// <summary>The stages that read this one's output.</summary>
    public List<GraphNode> Downstream { get; } = [];

    /// <summary>The stage's workers ("auto" resolved to the stage's upper bound); for pooled stages, the pool size.</summary>
    public int Workers { get; internal set; }

    /// <summary>MaxDegreeOfParallelism of the stage's block: its workers, times the items that may share one
    /// resource for pooled stages.</summary>
    public int Parallelism { get; internal set; }

    /// <summary>BoundedCapacity of the stage's input queue.</summary>
    public int Capacity { get; internal set; }

    /// <summary>True when the job asked for "workers: auto".</summary>
    public bool WorkersAuto => Definition.Common.Workers.IsAuto;

    /// <summary>How each item is executed (retries, timeout): a Polly pipeline built by the compiler.</summary>
    public Runtime.StagePolicy Policy { get; internal set; } = Runtime.StagePolicy.None;
}

/// <summary>A job compiled into a checked graph of stages, ready to run.</summary>
public sealed class PipelineGraph
{
    internal PipelineGraph(JobDefinition job, IReadOnlyList<GraphNode> nodes) { Job = job; Nodes = nodes; }

    /// <summary>The job it was compiled from.</summary>
    public JobDefinition Job { get; }

    /// <summary>The stages in file order.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }
}
