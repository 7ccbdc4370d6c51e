using System.Text.Json.Nodes;
using QcPipeline.Core.Reports;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Demo.Generation;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>The site scan through the engine on a local folder (files.list → files.read → gps.exif → gps.aggregate),
/// and its outputs read back: points.csv by CsvHelper, summary.json and points.geojson as JSON.</summary>
public sealed class SiteScanRun
{
    public required RunResult Result { get; init; }
    public required string Output { get; init; }
    public required IReadOnlyList<ReportSection> Sections { get; init; }
    public required List<Dictionary<string, string>> Points { get; init; }
    public required JsonNode Summary { get; init; }
    public required JsonNode GeoJson { get; init; }

    public static async Task<SiteScanRun> RunAsync(string root, string site, string name, string aggregateExtra = "")
    {
        var job = Path.Combine(root, $"{name}.yaml");
        File.WriteAllText(job, $$"""
            job: {{name}}
            error_budget: 100%
            stages:
              list: { type: files.list, root: "{{site}}", include: ["**/*.jpg", "**/*.JPG"] }
              fetch: { type: files.read, mode: header }
              gps: { type: gps.exif, cache: false }
              aggregate: { type: gps.aggregate{{aggregateExtra}} }
            """);
        var registry = QcPipeline.Files.FilesFamily.AddFiles(new StageRegistry()).AddSiteScan();
        var graph = TestRun.CompileFile(registry, job, _ => null);
        var output = Path.Combine(root, "out-" + name);
        var runner = new PipelineRunner(graph, output);
        var result = await runner.RunGuardedAsync();
        Assert.True(result.CountsAddUp);
        var bytes = File.ReadAllBytes(Path.Combine(output, "points.csv"));
        using var csv = CsvHelper.CsvReader.Create(bytes, null);
        var points = new List<Dictionary<string, string>>();
        while (csv.Read()) points.Add(csv.Headers.Select((h, i) => (h, v: csv.GetString(i))).ToDictionary(x => x.h, x => x.v));
        return new SiteScanRun
        {
            Result = result, Output = output, Sections = runner.ReportSections(), Points = points,
            Summary = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "summary.json")))!,
            GeoJson = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "points.geojson")))!,
        };
    }

    /// <summary>Each photo's flags as points.csv gives them.</summary>
    public IEnumerable<FoundPhoto> Found => Points.Select(p => new FoundPhoto(p["file"],
        p["flags"].Split(';', StringSplitOptions.RemoveEmptyEntries).ToHashSet()));

    /// <summary>Every gap of every folder as summary.json gives it.</summary>
    public IEnumerable<FoundGap> Gaps => Summary["folders"]!.AsObject().SelectMany(f => f.Value!["flight"]!["gaps"]!.AsArray())
        .Select(g => new FoundGap(g!["after"]!.GetValue<string>(), g["before"]!.GetValue<string>()));
}
