using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Outputs;
using QcPipeline.Core.Runtime;
using QcPipeline.Telemetry;

namespace QcPipeline.Cli;

/// <summary>Runs a job: compile, make the output folder ready, run with progress and stop signals, then
/// run.json, report.html and the summary, with signals held off until the last of them is written.</summary>
public static class RunCommand
{
    /// <summary>Runs the job file at <paramref name="path"/>; returns the exit code. With <paramref name="cluster"/> (or the
    /// job's cluster.url) it coordinates: the job's cluster.stages run on workers.</summary>
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
        var console = new ConsoleOutput();
        // Signals are ours from here until the last byte is written.
        using var signals = new StopSignals(console, job.ShutdownTimeout);
        var output = Path.GetFullPath(outDir ?? (job.Outputs.Dir.Length > 0 ? job.Outputs.Dir
            : Path.Combine("out", $"{Sanitize(graph.Job.Name)}-{DateTime.Now:yyyyMMdd-HHmmss}")));
        OutputFolder folder;
        try { folder = OutputFolder.Open(output); }
        catch (OutputFolderException e)
        {
            Console.Error.WriteLine($"qcpipeline: {e.Message}");
            return ExitCodes.Invalid;
        }
        using (folder)
        {
            if (folder.Removed.Count > 0)
                console.Info($"reusing {Shown(output)}: the previous run's {string.Join(", ", folder.Removed)} removed");
            using var telemetry = TelemetrySession.Start(graph.Job, console.Warn);
            var coordinator = plan is null ? null : new Cluster.ClusterCoordinator(plan, graph, StageCatalog.Create(), console.Info);
            var runner = new PipelineRunner(graph, output, noCache, coordinator);
            runner.Warning += console.Warn;
            signals.Follow(runner);
            console.Info($"running {graph.Job.Name} → {Shown(output)}");
            var result = await ProgressDisplay.Follow(runner, runner.RunAsync());
            signals.Finishing();
            return Finish(result, runner.ReportSections(), output, job, telemetry, console);
        }
    }

    // run.json first (the accounting), then traces, the report and the summary; a failure of one does not stop the others.
    private static int Finish(RunResult result, IReadOnlyList<Core.Reports.ReportSection> sections, string output, JobOptions job,
        TelemetrySession telemetry, ConsoleOutput console)
    {
        var exit = result.ExitCode;
        try { RunJson.Write(Path.Combine(output, OutputFiles.RunJson), result); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"qcpipeline: run.json could not be written: {e.Message}");
            exit = Math.Max(exit, ExitCodes.RunFailed);
        }
        telemetry.Flush();
        if (job.Outputs.Report)
        {
            try { RunReportWriter.Write(Path.Combine(output, OutputFiles.Report), result, sections); }
            catch (Exception e) { console.Warn($"report.html could not be written: {e.Message}"); }
        }
        ConsoleSummary.Print(result);
        if (result.Sections.GetValueOrDefault("cluster") is Cluster.ClusterReport clustered) console.Info(clustered.Describe());
        return exit;
    }

    private static string Shown(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);

    private static string Sanitize(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
}
