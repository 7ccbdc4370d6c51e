using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Stages;

namespace QcPipeline.Cluster;

/// <summary>
/// How a job is distributed: the NATS server and the run of stages workers execute. Made from the job's
/// cluster: section and --cluster; every problem is reported at the place in the job it comes from.
/// </summary>
public sealed record ClusterPlan(string Url, ClusterOptions Options, GraphSegment Segment)
{
    /// <summary>The job's cluster: section (its defaults when the job has none).</summary>
    public static ClusterOptions OptionsOf(JobDefinition job) => job.Section<ClusterOptions>();

    /// <summary>Checks the section against the compiled graph (also for a local run, so `validate` tells).</summary>
    public static void Check(PipelineGraph graph, StageRegistry registry)
    {
        var options = OptionsOf(graph.Job);
        if (options.Url.Length > 0 && !ClusterUrl.IsValid(options.Url, out var problem))
            throw new JobInvalidException([new Diagnostic(graph.Job.Locations.Of(options, "url", new SourceLocation(graph.Job.File, 1, 1)), $"cluster.url: {problem}")]);
        if (options.Stages.Length > 0) ResolveSegment(graph, registry, distributing: false);
    }

    /// <summary>The plan for a run: null when neither the job nor <paramref name="urlOverride"/> names a server.</summary>
    public static ClusterPlan? Resolve(PipelineGraph graph, StageRegistry registry, string? urlOverride)
    {
        var options = OptionsOf(graph.Job);
        var url = string.IsNullOrWhiteSpace(urlOverride) ? options.Url : urlOverride.Trim();
        if (url.Length == 0) return null;
        if (!ClusterUrl.IsValid(url, out var problem))
            throw new JobInvalidException([new Diagnostic(SourceLocation.Of("--cluster"), problem)]);
        if (options.Stages.Length == 0)
            throw new JobInvalidException([new Diagnostic(new SourceLocation(graph.Job.File, 1, 1),
                "--cluster: the job names no stages to run on workers; add e.g. cluster: {stages: [fetch, gps]}")]);
        return new ClusterPlan(url, options, ResolveSegment(graph, registry, distributing: true));
    }

    private static GraphSegment ResolveSegment(PipelineGraph graph, StageRegistry registry, bool distributing)
    {
        var job = graph.Job;
        var options = OptionsOf(job);
        var where = job.Locations.Of(options, "stages", new SourceLocation(job.File, 1, 1));
        var problems = new List<Diagnostic>();
        var segment = GraphSegment.Resolve(graph, options.Stages, m => problems.Add(new Diagnostic(where, "cluster.stages: " + m)));
        if (segment is not null)
        {
            foreach (var (type, role, stage) in new[] { (segment.InputType, "reads", segment.Entry), (segment.OutputType, "writes", segment.Exit) })
                if (!registry.WireTypes.ContainsKey(type))
                    problems.Add(new Diagnostic(where, $"cluster.stages: stage '{stage.Name}' ({stage.Descriptor.Name}) {role} {type.Name} items, " +
                        "which cannot travel between machines (no family registers them as wire items)"));
            if (distributing && segment.Nodes.Any(UsesDemo))
                problems.Add(new Diagnostic(where, "cluster.stages: a stage here uses a connection with host: demo, a server only this machine can reach; `./run.sh cluster-demo` serves one to every worker"));
        }
        if (problems.Count > 0) throw new JobInvalidException(problems);
        return segment!;
    }

    // "host: demo" starts a server inside this process: workers elsewhere cannot reach it. Known by its options'
    // IsDemo, whatever the connection type.
    private static bool IsDemo(object connection) =>
        connection.GetType().GetProperty("IsDemo")?.GetValue(connection) is true;

    private static bool UsesDemo(GraphNode n) =>
        n.Definition.Options.GetType().GetProperties().Any(p => p.GetValue(n.Definition.Options) is { } v && v.GetType().IsClass && v is not string && IsDemo(v));
}

/// <summary>Checks a NATS server address as users write it.</summary>
public static class ClusterUrl
{
    /// <summary>True for nats://HOST[:PORT] (several, comma-separated, for a NATS cluster).</summary>
    public static bool IsValid(string url, out string problem)
    {
        problem = "";
        foreach (var part in url.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls") || uri.Host.Length == 0)
            {
                problem = $"'{part}' is not a NATS address (nats://HOST:4222)";
                return false;
            }
            if (uri.UserInfo.Length > 0)
            {
                problem = "credentials do not belong in the address (it is printed and recorded)";
                return false;
            }
        }
        return true;
    }
}
