using QcPipeline.Core.Jobs;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Graph;

/// <summary>One stage in the compiled graph: its definition, links, resolved parallelism and execution
/// policy. No stage instance: the runtime makes one per run from the descriptor.</summary>
public sealed class GraphNode
{
    internal GraphNode(StageDefinition definition) => Definition = definition;

    public StageDefinition Definition { get; }
    public string Name => Definition.Name;
    public StageDescriptor Descriptor => Definition.Descriptor!;
    public List<GraphNode> Upstream { get; } = [];
    public List<GraphNode> Downstream { get; } = [];

    /// <summary>MaxDegreeOfParallelism of the stage's block ("auto" resolved to the stage's upper bound).</summary>
    public int Workers { get; internal set; }

    /// <summary>BoundedCapacity of the stage's input queue.</summary>
    public int Capacity { get; internal set; }

    public bool WorkersAuto => Definition.Common.Workers.IsAuto;

    /// <summary>How each item is executed (retries, timeout): a Polly pipeline built by the compiler.</summary>
    public Runtime.StagePolicy Policy { get; internal set; } = Runtime.StagePolicy.None;
}

/// <summary>A job compiled into a checked graph of stages, ready to run.</summary>
public sealed class PipelineGraph
{
    internal PipelineGraph(JobDefinition job, IReadOnlyList<GraphNode> nodes) { Job = job; Nodes = nodes; }

    public JobDefinition Job { get; }

    /// <summary>The stages in file order.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }
}
