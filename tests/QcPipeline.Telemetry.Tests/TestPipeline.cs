using System.Security.Cryptography;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using Xunit;

// Every session listens to the same process-wide ActivitySource; one test at a time keeps each
// receiver's traffic its own (assertions still filter by the run's trace id).
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace QcPipeline.Telemetry.Tests;

/// <summary>A folder of text files and the job that reads them: files.list → read → split (fan-out) → check → join → collect.</summary>
public sealed class TestPipeline : IDisposable
{
    public const string SecretVariable = "QC_TELEMETRY_TEST_SECRET";

    /// <summary>A fresh random password per test process, set where env: secrets are read.</summary>
    public static readonly string Secret = "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    static TestPipeline() => Environment.SetEnvironmentVariable(SecretVariable, Secret);

    public TestPipeline(int good, int bad, string? badName = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "qc-telemetry-" + Guid.NewGuid().ToString("N")[..8]);
        Input = Path.Combine(Root, "in");
        Directory.CreateDirectory(Input);
        for (var i = 0; i < good; i++)
        {
            var lines = Enumerable.Range(0, 2 + i % 3).Select(l => $"line {l} of file {i} with some words");
            File.WriteAllText(Path.Combine(Input, $"good-{i:D2}.txt"), string.Join('\n', lines) + "\n");
        }
        for (var i = 0; i < bad; i++)
            File.WriteAllText(Path.Combine(Input, i == 0 && badName is not null ? badName : $"bad-{i:D2}.txt"), "unreadable\n");
    }

    public string Root { get; }
    public string Input { get; }
    public string Output => Path.Combine(Root, "out");

    public IEnumerable<string> GoodFiles => Directory.GetFiles(Input, "good-*").Order(StringComparer.Ordinal);
    public IEnumerable<string> BadFiles => Directory.GetFiles(Input, "bad-*").Order(StringComparer.Ordinal);

    /// <summary>The lines of a good file, as the split stage will see them.</summary>
    public static int LinesOf(string file) => File.ReadAllText(file).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    public string Yaml(string telemetry) => $$"""
        job: telemetry-test
        error_budget: 100%
        telemetry: {{telemetry}}
        stages:
          list: { type: files.list, root: "{{Input}}" }
          read: { type: test.read, workers: 2, password: "env:{{SecretVariable}}", retry: { attempts: 2, backoff: 1ms } }
          split: { type: test.split }
          check: { type: test.check, workers: 3 }
          join: { type: test.join }
          collect: { type: test.collect }
        """;

    public static StageRegistry Registry() => QcPipeline.Files.FilesFamily.AddFiles(new StageRegistry()).AddTelemetry()
        .Transform<ReadStage, FileItem, Doc, ReadOptions>()
        .FanOut<SplitStage, Doc, Line, NoOptions>()
        .Transform<CheckStage, Line, Line, NoOptions>()
        .Join<JoinLines, Line, Summary, NoOptions>()
        .Sink<CollectSink, Summary, CollectOptions>();

    public PipelineGraph Compile(string telemetry, IReadOnlyList<string>? overrides = null) =>
        TestRun.Compile(Registry(), Yaml(telemetry), Path.Combine(Root, "job.yaml"), overrides: overrides);

    /// <summary>Runs the job as the CLI does: a telemetry session around the run, flushed at its end.</summary>
    public async Task<(RunResult Result, List<string> Warnings)> RunAsync(string telemetry, Func<string, string?>? environment = null) =>
        (await RunGraphAsync(telemetry, environment)) is var r ? (r.Result, r.Warnings) : default;

    /// <summary>As <see cref="RunAsync"/>, also giving the report sections the run's stages contributed.</summary>
    public async Task<(RunResult Result, List<string> Warnings, IReadOnlyList<QcPipeline.Core.Reports.ReportSection> Sections)> RunGraphAsync(string telemetry,
        Func<string, string?>? environment = null, IReadOnlyList<string>? overrides = null)
    {
        var graph = Compile(telemetry, overrides);
        var warnings = new List<string>();
        void Warn(string w) { lock (warnings) warnings.Add(w); }
        RunResult result;
        IReadOnlyList<QcPipeline.Core.Reports.ReportSection> sections;
        using (var session = TelemetrySession.Start(graph.Job, Warn, environment: environment ?? (_ => null)))
        {
            var runner = new PipelineRunner(graph, Output);
            result = await runner.RunGuardedAsync();
            sections = runner.ReportSections();
            session.Flush();
        }
        return (result, warnings, sections);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { }
    }
}
