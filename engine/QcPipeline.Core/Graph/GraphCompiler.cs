using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Graph;

/// <summary>
/// Turns a job's stages into a graph: resolves `from` (a chain by default), then checks what would
/// otherwise fail at run time — a stage with no input, an output nobody reads, cycles, item types that
/// do not fit, a join with no fan-out before it. Every problem is reported with its place.
/// </summary>
public static class GraphCompiler
{
    /// <summary>A stage's input queue holds this many items per worker by default…</summary>
    public const int CapacityPerWorker = 4;

    /// <summary>…and at least this many.</summary>
    public const int MinCapacity = 16;

    /// <summary>Compiles a loaded job; throws <see cref="JobInvalidException"/> with every problem found.</summary>
    public static PipelineGraph Compile(JobDefinition job)
    {
        var diags = new DiagnosticBag();
        var nodes = job.Stages.Where(s => s.Descriptor is not null).Select(s => new GraphNode(s)).ToList();
        var byName = nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);

        Link(nodes, byName, diags);
        CheckTypes(nodes, diags);
        CheckConsumed(nodes, diags);
        CheckCycles(nodes, diags);
        CheckJoins(nodes, diags);
        if (!nodes.Any(n => n.Descriptor.Shape == StageShape.Source) && nodes.Count > 0)
            diags.Add(nodes[0].Definition.Location, "the job has no source stage (a stage that produces items)");

        foreach (var n in nodes)
        {
            var w = n.Definition.Common.Workers;
            n.Workers = n.Descriptor.Shape is StageShape.Sink or StageShape.Join or StageShape.Source ? 1
                : w.IsAuto ? n.Descriptor.AutoWorkers(n.Definition.Options) : w.Count;
            if (w.IsAuto && n.Upstream is [var up] && up.Descriptor.MostChildren(up.Definition.Options) is int most)
                n.Workers = Math.Clamp(most, 1, n.Workers);
            n.Parallelism = n.Workers * n.Descriptor.ItemsPerResource(n.Definition.Options);
            var cap = n.Definition.Common.Capacity;
            n.Capacity = cap > 0 ? cap : Math.Max(MinCapacity, CapacityPerWorker * n.Parallelism);
            // Sources too: one may run its own operations under it (StageContext.ExecuteAsync).
            if (n.Descriptor.Shape is StageShape.Transform or StageShape.PooledTransform or StageShape.Source)
                n.Policy = StagePolicy.Build(n.Definition.Common, (key, message) =>
                    diags.Add(job.Locations.Of(n.Definition.Common, key, n.Definition.Location), message)) ?? StagePolicy.None;
        }
        if (diags.HasErrors) throw new JobInvalidException(diags.Sorted().ToList());
        return new PipelineGraph(job, nodes);
    }

    private static void Link(List<GraphNode> nodes, Dictionary<string, GraphNode> byName, DiagnosticBag diags)
    {
        for (var i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            var from = n.Definition.Common.From;
            var isSource = n.Descriptor.Shape == StageShape.Source;
            if (isSource)
            {
                if (from.Length > 0) diags.Add(n.Definition.FromLocation, $"stage '{n.Name}' is a source ({n.Descriptor.Name}) and reads no input; remove from:");
                continue;
            }
            if (from.Length == 0)
            {
                var previous = i > 0 ? nodes[i - 1] : null;
                if (previous is null)
                    diags.Add(n.Definition.Location, $"stage '{n.Name}' has no input: it is the first stage but not a source; put a source above it or name one with from:");
                else if (previous.Descriptor.Shape == StageShape.Sink)
                    diags.Add(n.Definition.Location, $"stage '{n.Name}' has no input: the stage above it ('{previous.Name}') is a sink and writes no items; name its input with from:");
                else Connect(previous, n);
                continue;
            }
            foreach (var name in from)
            {
                if (name == n.Name) { diags.Add(n.Definition.FromLocation, $"stage '{n.Name}' reads from itself"); continue; }
                if (!byName.TryGetValue(name, out var up))
                {
                    diags.Add(n.Definition.FromLocation, $"stage '{n.Name}' reads from '{name}', but there is no such stage{Suggest.DidYouMean(name, byName.Keys)}");
                    continue;
                }
                if (up.Descriptor.Shape == StageShape.Sink)
                {
                    diags.Add(n.Definition.FromLocation, $"stage '{n.Name}' reads from '{name}', which is a sink ({up.Descriptor.Name}) and writes no items");
                    continue;
                }
                if (!n.Upstream.Contains(up)) Connect(up, n);
            }
        }
    }

    private static void Connect(GraphNode up, GraphNode down)
    {
        up.Downstream.Add(down);
        down.Upstream.Add(up);
    }

    private static void CheckTypes(List<GraphNode> nodes, DiagnosticBag diags)
    {
        foreach (var n in nodes)
            foreach (var up in n.Upstream)
            {
                var produced = up.Descriptor.OutputType!;
                var wanted = n.Descriptor.InputType!;
                if (!wanted.IsAssignableFrom(produced))
                    diags.Add(n.Definition.FromLocation,
                        $"stage '{n.Name}' ({n.Descriptor.Name}) reads {ItemName(wanted)} items, but '{up.Name}' ({up.Descriptor.Name}) writes {ItemName(produced)} items");
            }
    }

    private static void CheckConsumed(List<GraphNode> nodes, DiagnosticBag diags)
    {
        foreach (var n in nodes.Where(n => n.Descriptor.Shape != StageShape.Sink && n.Downstream.Count == 0))
            diags.Add(n.Definition.Location,
                $"the output of stage '{n.Name}' ({n.Descriptor.Name}) is consumed by nothing: add a stage after it, or read it with from:");
    }

    private static void CheckCycles(List<GraphNode> nodes, DiagnosticBag diags)
    {
        var state = new Dictionary<GraphNode, int>(); // 1: on the path, 2: done
        var path = new Stack<GraphNode>();
        var reported = new HashSet<GraphNode>();
        void Visit(GraphNode n)
        {
            state[n] = 1; path.Push(n);
            foreach (var d in n.Downstream)
            {
                if (state.GetValueOrDefault(d) == 1)
                {
                    var cycle = path.TakeWhile(p => p != d).Reverse().Prepend(d).Append(d).Select(p => p.Name);
                    if (reported.Add(d)) diags.Add(d.Definition.FromLocation, $"stages form a cycle: {string.Join(" -> ", cycle)}");
                }
                else if (state.GetValueOrDefault(d) == 0) Visit(d);
            }
            path.Pop(); state[n] = 2;
        }
        foreach (var n in nodes) if (state.GetValueOrDefault(n) == 0) Visit(n);
    }

    private static void CheckJoins(List<GraphNode> nodes, DiagnosticBag diags)
    {
        foreach (var join in nodes.Where(n => n.Descriptor.Shape == StageShape.Join))
        {
            var seen = new HashSet<GraphNode>();
            var stack = new Stack<GraphNode>(join.Upstream);
            var found = false;
            while (stack.Count > 0 && !found)
            {
                var n = stack.Pop();
                if (!seen.Add(n)) continue;
                if (n.Descriptor.Shape == StageShape.FanOut) found = true;
                else foreach (var u in n.Upstream) stack.Push(u);
            }
            if (!found) diags.Add(join.Definition.Location, $"stage '{join.Name}' ({join.Descriptor.Name}) joins fan-out children, but no fan-out stage comes before it");
        }
    }

    private static string ItemName(Type t) => t.Name;
}
