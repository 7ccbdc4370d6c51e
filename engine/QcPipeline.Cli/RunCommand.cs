using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Telemetry;

namespace QcPipeline.Cli;

/// <summary>Runs a job: compile, run with progress and Ctrl+C handling, then run.json, report.html and the summary.</summary>
public static class RunCommand
{
    public static async Task<int> RunAsync(string path, IReadOnlyList<string> overrides, string? outDir, bool noCache)
    {
        PipelineGraph graph;
        try { graph = CommandLine.Compile(path, overrides); }
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
        var runner = new PipelineRunner(graph, output, noCache);
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
            try { RunReportWriter.Write(Path.Combine(output, "report.html"), result, runner.ReportSections()); }
            catch (Exception e) { console.Warn($"report.html could not be written: {e.Message}"); }
        }
        ConsoleSummary.Print(result);
        return result.ExitCode;
    }

    private static string Sanitize(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
}
