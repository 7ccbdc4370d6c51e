using QcPipeline.Core.Runtime;
using QcPipeline.Telemetry;

namespace QcPipeline.Service;

/// <summary>What a run leaves once it ends, as the CLI writes it: run.json (the accounting), then report.html with
/// the sections its stages contribute.</summary>
internal static class RunOutputs
{
    public static void Write(RunResult result, IReadOnlyList<Core.Reports.ReportSection> sections, bool report, Action<string> warn)
    {
        var output = result.OutputDirectory;
        try { RunJson.Write(Path.Combine(output, OutputFiles.RunJson), result); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { warn($"{result.Job}: run.json could not be written: {e.Message}"); }
        if (!report) return;
        try { RunReportWriter.Write(Path.Combine(output, OutputFiles.Report), result, sections); }
        catch (Exception e) { warn($"{result.Job}: report.html could not be written: {e.Message}"); }
    }
}
