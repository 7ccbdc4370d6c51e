using QcPipeline.Core.Jobs;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Graph;

/// <summary>
/// A contiguous run of stages that may be executed elsewhere as one step: an item enters at one stage (the
/// entry), passes only through the run's stages, and one result leaves from one stage (the exit). Fan-outs
/// inside it are joined inside it, so from outside it is one item in, one item out. Sources and sinks are never
/// part of one: they read and write where the job runs.
/// </summary>
public sealed class GraphSegment
{
    private readonly HashSet<GraphNode> _members;

    private GraphSegment(IReadOnlyList<GraphNode> nodes, GraphNode entry, GraphNode exit)
    {
        Nodes = nodes; Entry = entry; Exit = exit;
        _members = new HashSet<GraphNode>(nodes);
    }

    /// <summary>The stages, in the job's order.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>Where items enter.</summary>
    public GraphNode Entry { get; }

    /// <summary>Where results leave.</summary>
    public GraphNode Exit { get; }

    /// <summary>The type of the items that enter.</summary>
    public Type InputType => Entry.Descriptor.InputType!;

    /// <summary>The type of the results that leave.</summary>
    public Type OutputType => Exit.Descriptor.OutputType!;

    /// <summary>"fetch..check", or the one stage's name.</summary>
    public string Label => Entry == Exit ? Entry.Name : $"{Entry.Name}..{Exit.Name}";

    /// <summary>True when <paramref name="node"/> is one of the run's stages.</summary>
    public bool Contains(GraphNode node) => _members.Contains(node);

    /// <summary>The run of the stages named, or null after reporting through <paramref name="error"/> why
    /// they are not one (unknown names, a source or sink, a gap, a second way in or out, a fan-out joined outside).</summary>
    public static GraphSegment? Resolve(PipelineGraph graph, IReadOnlyList<string> names, Action<string> error)
    {
        var byName = graph.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var members = new List<GraphNode>();
        foreach (var name in names)
        {
            if (!byName.TryGetValue(name, out var n)) { error($"there is no stage '{name}'{Options.Suggest.DidYouMean(name, byName.Keys)}"); continue; }
            if (members.Contains(n)) { error($"stage '{name}' is named twice"); continue; }
            if (n.Descriptor.Shape is StageShape.Source or StageShape.Sink)
            {
                error($"stage '{name}' ({n.Descriptor.Name}) is a {(n.Descriptor.Shape == StageShape.Source ? "source" : "sink")}: sources and sinks run where the job runs");
                continue;
            }
            members.Add(n);
        }
        if (members.Count == 0 || members.Count < names.Count) { if (members.Count == 0 && names.Count == 0) error("name at least one stage"); return null; }
        var set = new HashSet<GraphNode>(members);
        var entries = members.Where(m => m.Upstream.Any(u => !set.Contains(u))).ToList();
        var exits = members.Where(m => m.Downstream.Any(d => !set.Contains(d))).ToList();
        if (entries.Count != 1 || entries[0].Upstream.Any(set.Contains))
        {
            error($"the stages {List(members)} must be one run that items enter at one stage; items enter at {List(entries)}");
            return null;
        }
        if (exits.Count != 1 || exits[0].Downstream.Any(set.Contains))
        {
            error($"the stages {List(members)} must be one run that items leave from one stage; they leave from {List(exits)}");
            return null;
        }
        var entry = entries[0];
        var reached = new HashSet<GraphNode>();
        var problem = Walk(entry, 0, set, exits[0], reached);
        if (problem is null && reached.Count != set.Count)
            problem = $"the stages {List(members)} are not contiguous: {List(members.Where(m => !reached.Contains(m)))} cannot be reached from '{entry.Name}' through them";
        if (problem is not null) { error(problem); return null; }
        return new GraphSegment(graph.Nodes.Where(set.Contains).ToList(), entry, exits[0]);
    }

    // Follows every path from the entry: a join must close a fan-out opened inside, and every fan-out is closed by the exit.
    private static string? Walk(GraphNode n, int depth, HashSet<GraphNode> set, GraphNode exit, HashSet<GraphNode> reached)
    {
        reached.Add(n);
        if (n.Descriptor.Shape == StageShape.Join && --depth < 0)
            return $"stage '{n.Name}' joins the children of a fan-out that is not among the stages named: name the fan-out too, or leave the join out";
        if (n.Descriptor.Shape == StageShape.FanOut) depth++;
        if (n == exit && depth != 0)
            return $"a fan-out among the stages named is joined after '{exit.Name}': name its join too, so one result comes back per item";
        foreach (var d in n.Downstream.Where(set.Contains))
            if (Walk(d, depth, set, exit, reached) is { } p) return p;
        return null;
    }

    private static string List(IEnumerable<GraphNode> nodes) => string.Join(", ", nodes.Select(n => $"'{n.Name}'"));
}
