using System.Text;

namespace QcPipeline.Core.Graph;

/// <summary>Draws a compiled graph as Mermaid or Graphviz DOT: each block with its parallelism and capacity.</summary>
public static class GraphRenderer
{
    /// <summary>The graph as a Mermaid flowchart.</summary>
    public static string Mermaid(PipelineGraph g)
    {
        var sb = new StringBuilder("flowchart LR\n");
        foreach (var n in g.Nodes)
            sb.Append($"  {Id(n)}[\"{n.Name}<br/>{n.Descriptor.Name}<br/>{Describe(n)}\"]\n");
        foreach (var n in g.Nodes)
            foreach (var d in n.Downstream)
                sb.Append($"  {Id(n)} -->|{n.Descriptor.OutputType!.Name}| {Id(d)}\n");
        return sb.ToString();
    }

    /// <summary>The graph in Graphviz DOT.</summary>
    public static string Dot(PipelineGraph g)
    {
        var sb = new StringBuilder($"digraph \"{g.Job.Name}\" {{\n  rankdir=LR;\n  node [shape=box];\n");
        foreach (var n in g.Nodes)
            sb.Append($"  {Id(n)} [label=\"{n.Name}\\n{n.Descriptor.Name}\\n{Describe(n)}\"];\n");
        foreach (var n in g.Nodes)
            foreach (var d in n.Downstream)
                sb.Append($"  {Id(n)} -> {Id(d)} [label=\"{n.Descriptor.OutputType!.Name}\"];\n");
        return sb.Append("}\n").ToString();
    }

    /// <summary>"workers 4 (auto), capacity 16" — what the block runs with ("workers 4 × 32 items each" when
    /// several items share one worker's resource).</summary>
    public static string Describe(GraphNode n) =>
        n.Descriptor.Shape == Stages.StageShape.Source ? "source"
        : $"workers {n.Workers}{(n.Parallelism > n.Workers ? $" × {n.Parallelism / n.Workers} items each" : "")}{(n.WorkersAuto ? " (auto)" : "")}, capacity {n.Capacity}";

    private static string Id(GraphNode n) => "s_" + new string(n.Name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
}
