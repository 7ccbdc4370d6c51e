using System.CommandLine;
using QcPipeline.Core.Docs;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;

namespace QcPipeline.Cli;

/// <summary>
/// The command line: `qcpipeline JOB.yaml [--set PATH=VALUE ...] [--out DIR]`, and `validate`, `graph`,
/// `schema`, `stages`, `serve`. (run.sh adds `test` and `bench`.)
/// </summary>
public static class CommandLine
{
    /// <summary>Parses the arguments and runs the command; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var job = new Argument<string>("job") { Description = "The job file (YAML).", Arity = ArgumentArity.ZeroOrOne };
        var sets = new Option<string[]>("--set") { Description = "Override an option by its YAML path, e.g. --set stages.fetch.workers=16.", AllowMultipleArgumentsPerToken = false };
        var outDir = new Option<string?>("--out") { Description = "Output folder (default: out/JOB-TIME)." };
        var traceFile = new Option<string?>("--trace-file") { Description = "Also write the run's trace as Jaeger JSON to this file." };
        var noCache = new Option<bool>("--no-cache") { Description = "Neither read nor write caches kept between runs." };
        var cluster = new Option<string?>("--cluster") { Description = "Run as the coordinator of a cluster: the job's cluster.stages run on workers (./run.sh worker --cluster URL), e.g. nats://HOST:4222." };

        var root = new RootCommand("QcPipeline: YAML jobs compiled into TPL Dataflow graphs (site QC over SFTP, visual inspection).")
        {
            job, sets, outDir, traceFile, noCache, cluster,
        };
        root.SetAction((parse, ct) =>
        {
            var path = parse.GetValue(job);
            if (string.IsNullOrEmpty(path))
            {
                Console.Error.WriteLine("qcpipeline: name a job file, e.g. ./run.sh pipelines/site-scan.yaml (see --help)");
                return Task.FromResult(ExitCodes.Invalid);
            }
            var overrides = (parse.GetValue(sets) ?? []).ToList();
            if (parse.GetValue(traceFile) is { } tf) overrides.Add("telemetry.trace_file=" + Path.GetFullPath(tf));
            return RunCommand.RunAsync(path, overrides, parse.GetValue(outDir), parse.GetValue(noCache), parse.GetValue(cluster));
        });

        var validateJob = new Argument<string>("job") { Description = "The job file (YAML)." };
        var validateSets = new Option<string[]>("--set") { Description = "Override an option by its YAML path." };
        var validate = new Command("validate", "Check a job without running it: every problem, with FILE:LINE:COL.") { validateJob, validateSets };
        validate.SetAction(parse => Guard(() =>
        {
            var graph = Compile(parse.GetValue(validateJob)!, parse.GetValue(validateSets));
            Console.WriteLine($"{graph.Job.File}: valid ({graph.Nodes.Count} stages)");
            return ExitCodes.Success;
        }));

        var graphJob = new Argument<string>("job") { Description = "The job file (YAML)." };
        var graphSets = new Option<string[]>("--set") { Description = "Override an option by its YAML path." };
        var format = new Option<string>("--format") { Description = "mermaid or dot.", DefaultValueFactory = _ => "mermaid" };
        format.AcceptOnlyFromAmong("mermaid", "dot");
        var graphCmd = new Command("graph", "Print the compiled graph: each block with its parallelism and capacity.") { graphJob, graphSets, format };
        graphCmd.SetAction(parse => Guard(() =>
        {
            var graph = Compile(parse.GetValue(graphJob)!, parse.GetValue(graphSets));
            Console.Write(parse.GetValue(format) == "dot" ? GraphRenderer.Dot(graph) : GraphRenderer.Mermaid(graph));
            return ExitCodes.Success;
        }));

        var schema = new Command("schema", "Print the JSON Schema of the job format (for editors).");
        schema.SetAction(_ => { Console.WriteLine(JobSchema.Generate(StageCatalog.Create())); return ExitCodes.Success; });

        var stagesFormat = new Option<string>("--format") { Description = "text or markdown.", DefaultValueFactory = _ => "text" };
        stagesFormat.AcceptOnlyFromAmong("text", "markdown");
        var stages = new Command("stages", "List every stage type with its options, defaults and docs.") { stagesFormat };
        stages.SetAction(parse =>
        {
            var registry = StageCatalog.Create();
            Console.Write(parse.GetValue(stagesFormat) == "markdown" ? StageReference.Markdown(registry) : StageReference.Text(registry));
            return ExitCodes.Success;
        });

        root.Add(validate);
        root.Add(graphCmd);
        root.Add(schema);
        root.Add(stages);
        root.Add(ServeCommand.Create());
        root.Add(WorkerCommand.Create());
        root.Add(ClusterDemoCommand.Create());

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"qcpipeline: {parsed.Errors[0].Message} (see --help)");
            return ExitCodes.Invalid;
        }
        // Ctrl+C and SIGTERM are ours: the first one stops the run gracefully (StopSignals), not the process.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    internal static PipelineGraph Compile(string path, IReadOnlyList<string>? overrides)
    {
        var registry = StageCatalog.Create();
        var graph = GraphCompiler.Compile(new JobLoader(registry).Load(path, overrides));
        Cluster.ClusterPlan.Check(graph, registry);
        return graph;
    }

    /// <summary>An invalid job: every problem on its own line, exit 2.</summary>
    internal static int Guard(Func<int> action)
    {
        try { return action(); }
        catch (JobInvalidException e)
        {
            foreach (var d in e.Diagnostics) Console.Error.WriteLine(d.ToString());
            return ExitCodes.Invalid;
        }
    }
}
