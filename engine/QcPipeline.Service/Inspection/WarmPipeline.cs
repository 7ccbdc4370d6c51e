using QcPipeline.Core.Graph;
using QcPipeline.Core.Outputs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Files;

namespace QcPipeline.Service.Inspection;

/// <summary>
/// One compiled inspection job kept running for the server's life: its source stage is fed by requests instead of
/// a folder listing, so every image goes through the same graph, ledger, stats and traces as in a batch run, and
/// what is costly to open (goldens, pools) is opened once. Its output folder gets results.jsonl as it goes, and
/// run.json and report.html when the server stops.
/// </summary>
internal sealed class WarmPipeline
{
    private readonly OutputFolder _folder;
    private readonly Action<string> _warn;

    private WarmPipeline(string product, PipelineGraph graph, OutputFolder folder, PipelineRunner runner, ItemFeed feed, Action<string> warn)
    {
        Product = product; Graph = graph; _folder = folder; Runner = runner; Feed = feed; _warn = warn;
        Run = runner.RunAsync();
    }

    /// <summary>The product it inspects.</summary>
    public string Product { get; }
    public PipelineGraph Graph { get; }
    public PipelineRunner Runner { get; }
    public ItemFeed Feed { get; }

    /// <summary>The run; it ends when the server stops (or a stage fails, which /healthz then reports).</summary>
    public Task<RunResult> Run { get; }

    /// <summary>The source stage requests stand in for: the only source of the job, and one that lists files.</summary>
    public static GraphNode? FeedableSource(PipelineGraph graph, out string? whyNot)
    {
        var sources = graph.Nodes.Where(n => n.Descriptor.Shape == StageShape.Source).ToList();
        whyNot = null;
        if (sources is [var only] && only.Descriptor.OutputType!.IsAssignableFrom(typeof(FileContent))) return only;
        whyNot = sources.Count != 1
            ? $"job {graph.Job.Name} has {sources.Count} sources; an inspected image needs exactly one to stand in for"
            : $"the source '{sources[0].Name}' of job {graph.Job.Name} produces {sources[0].Descriptor.OutputType!.Name} items, not files";
        return null;
    }

    /// <summary>Gives up on images still inside (a second SIGTERM).</summary>
    public void Abandon() => Runner.Abandon();

    /// <summary>Starts the pipeline writing into <paramref name="outputDirectory"/> (locked for its life).</summary>
    public static WarmPipeline Start(string product, PipelineGraph graph, string outputDirectory, int capacity, Action<string> warn)
    {
        var source = FeedableSource(graph, out var whyNot) ?? throw new InvalidOperationException(whyNot);
        var folder = OutputFolder.Open(outputDirectory);
        try
        {
            var runner = new PipelineRunner(graph, folder.Path);
            runner.Warning += warn;
            var feed = runner.Feed(source.Name, capacity);
            return new WarmPipeline(product, graph, folder, runner, feed, warn);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>Takes no more images, lets those inside finish (within the job's shutdown_timeout), then writes
    /// run.json and report.html.</summary>
    public async Task<RunResult> StopAsync()
    {
        Feed.Complete();
        // Requests have been answered by now (the server drains them first); an image still inside after
        // shutdown_timeout is given up, and counted as cancelled.
        if (await Task.WhenAny(Run, Task.Delay(Graph.Job.Options.ShutdownTimeout)).ConfigureAwait(false) != Run) Runner.Abandon();
        var result = await Run.ConfigureAwait(false);
        RunOutputs.Write(result, Runner.ReportSections(), Graph.Job.Options.Outputs.Report, _warn);
        _folder.Dispose();
        return result;
    }
}
