using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Telemetry;

namespace QcPipeline.Cli;

/// <summary>Runs a job: compile, run with progress and Ctrl+C handling, then run.json, report.html and the summary.</summary>
public static class RunCommand
{
    public static async Task<int> RunAsync(string path, IReadOnlyList<string> overrides, string? outDir, bool noCache, string? cluster = null)
    {
        PipelineGraph graph;
        Cluster.ClusterPlan? plan;
        try
        {
            graph = CommandLine.Compile(path, overrides);
            plan = Cluster.ClusterPlan.Resolve(graph, StageCatalog.Create(), cluster);
        }
        catch (JobInvalidException e)
        {
            foreach (var d in e.Diagnostics) Console.Error.WriteLine(d.ToString());
            return ExitCodes.Invalid;
        }

        var job = graph.Job.Options;
        var output = Path.GetFullPath(outDir ?? (job.Outputs.Dir.Length > 0 ? job.Outputs.Dir
            : Path.Combine("out", $"{Sanitize(graph.Job.Name)}-{DateTime.Now:yyyyMMdd-HHmmss}")));
        var console = new ConsoleOutput();
        using var telemetry = TelemetrySession.Start(job.Telemetry, graph.Job.Name, console.Warn);
        var coordinator = plan is null ? null : new Cluster.ClusterCoordinator(plan, graph, StageCatalog.Create(), console.Info);
        var runner = new PipelineRunner(graph, output, noCache, coordinator);
        runner.Warning += console.Warn;

        using var cancel = new CancellationTokenSource();
        var presses = 0;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // we stop the run ourselves, the process exits normally
            if (Interlocked.Increment(ref presses) == 1)
            {
                console.Info($"stopping: no new items; items in progress get {Core.Options.Duration.Format(job.ShutdownTimeout)} (Ctrl+C again to abandon them)");
                cancel.Cancel();
            }
            else runner.Abandon();
        };
        Console.CancelKeyPress += onCancel;
        RunResult result;
        try
        {
            console.Info($"running {graph.Job.Name} → {Path.GetRelativePath(Environment.CurrentDirectory, output)}");
            result = await ProgressDisplay.Follow(runner, runner.RunAsync(cancel.Token));
        }
        finally { Console.CancelKeyPress -= onCancel; }

        RunJson.Write(Path.Combine(output, "run.json"), result);
        telemetry.Flush();
        if (job.Outputs.Report)
        {
            try
            {
                var geo = Path.Combine(output, "points.geojson");
                RunReportWriter.Write(Path.Combine(output, "report.html"), result, File.Exists(geo) ? geo : null);
            }
            catch (Exception e) { console.Warn($"report.html could not be written: {e.Message}"); }
        }
        ConsoleSummary.Print(result);
        if (result.Sections.GetValueOrDefault("cluster") is Cluster.ClusterReport clustered) console.Info(clustered.Describe());
        return result.ExitCode;
    }

    private static string Sanitize(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
}
