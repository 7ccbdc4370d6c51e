using System.Text.Json;
using QcPipeline.Cluster;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using QcPipeline.Sftp;
using QcPipeline.Vision;

namespace QcPipeline.Inspection.Tests;

/// <summary>Inspection jobs through <see cref="TestRun"/> (with its hang guard) in a temporary folder, and their results.</summary>
internal sealed class Harness : IDisposable
{
    public Harness() => Dir = Directory.CreateTempSubdirectory("qc-inspect").FullName;

    public string Dir { get; }
    public string Out => Path.Combine(Dir, "out");

    public static StageRegistry Registry() => new StageRegistry().AddInspection().AddFiles().AddSftp().AddCluster(); // the shipped job has a cluster: section

    public string Path_(string relative) => Path.Combine(Dir, relative);

    public Task<RunResult> RunYamlAsync(string yaml, CancellationToken ct = default)
    {
        var file = Path.Combine(Dir, "job.yaml");
        File.WriteAllText(file, yaml);
        return RunFileAsync(file, _ => null, ct);
    }

    public async Task<RunResult> RunFileAsync(string jobFile, Func<string, string?> env, CancellationToken ct = default)
    {
        var runner = new PipelineRunner(TestRun.CompileFile(Registry(), jobFile, env), Out);
        var result = await runner.RunGuardedAsync(cancel: ct);
        Sections = runner.ReportSections();
        return result;
    }

    /// <summary>The report sections the last run's stages contributed.</summary>
    public IReadOnlyList<QcPipeline.Core.Reports.ReportSection> Sections { get; private set; } = [];

    public void Save(Image image, string relative)
    {
        var path = Path.Combine(Dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, image.EncodePng());
    }

    /// <summary>results.jsonl, one parsed object per line, in the order written.</summary>
    public List<JsonElement> Results() =>
        File.ReadAllLines(Path.Combine(Out, "results.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    public static JsonElement Roi(JsonElement image, string name) =>
        image.GetProperty("rois").EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

internal static class Draw
{
    /// <summary>A grey board: black with white rectangles (texture for correlation and diffs).</summary>
    public static Image Board(int width, int height, int dx = 0, int dy = 0)
    {
        var image = Image.Create(width, height, 1, 0);
        for (var y = 10; y + 30 < height; y += 50)
            for (var x = 10; x + 30 < width; x += 60)
                image.DrawRectangle(new PixelBox(x + dx + (y / 50 % 3) * 4, y + dy, 24 + (x / 60 % 4) * 3, 18), Rgb.White, -1);
        return image;
    }
}
