using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Tests;

/// <summary>Real jobs through the real path: YAML → JobLoader → GraphCompiler → PipelineRunner.</summary>
public static class Harness
{
    public static readonly StageRegistry Registry = new StageRegistry()
        .Connection<TestConnection>()
        .Source<NumbersStage, Num, NumbersOptions>()
        .Transform<MapStage, Num, Num, MapOptions>()
        .Pooled<PoolStage, Num, Num, PoolOptions, TestResource>()
        .FanOut<SplitStage, Num, Num, SplitOptions>()
        .Join<JoinTestStage, Num, Num, JoinOptions>()
        .Sink<CollectStage, Num, CollectOptions>()
        .Transform<TextStage, Text, Text, NoOptions>()
        .Transform<AutoStage, Num, Num, AutoOptions>()
        .Transform<CountedStage, Num, Num, NoOptions>();

    /// <summary>Job files are named job.yaml in the current folder, so diagnostics read "job.yaml:LINE:COL: …".</summary>
    public const string JobFile = "job.yaml";

    public static JobDefinition Load(string yaml, IReadOnlyDictionary<string, string>? env = null, IReadOnlyList<string>? overrides = null) =>
        new JobLoader(Registry, name => env is not null && env.TryGetValue(name, out var v) ? v : null)
            .Parse(yaml, Path.Combine(Environment.CurrentDirectory, JobFile), overrides);

    public static PipelineGraph Compile(string yaml, IReadOnlyDictionary<string, string>? env = null, IReadOnlyList<string>? overrides = null) =>
        GraphCompiler.Compile(Load(yaml, env, overrides));

    /// <summary>The diagnostics of an invalid job, as printed ("job.yaml:3:5: message").</summary>
    public static List<string> Errors(string yaml, IReadOnlyDictionary<string, string>? env = null, IReadOnlyList<string>? overrides = null) =>
        TestRun.Errors(() => Compile(yaml, env, overrides));

    public static string TempDir() => TestRun.TempDir("qcpipeline-core-");

    /// <summary>How long a run of these small jobs may take before it counts as hung.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>Runs a job to its end (or until <paramref name="cancel"/>); the run's output folder is fresh.</summary>
    public static Task<RunResult> RunAsync(string yaml, CancellationToken cancel = default, Action<PipelineRunner>? setup = null)
    {
        var runner = new PipelineRunner(Compile(yaml), TempDir());
        setup?.Invoke(runner);
        return runner.RunGuardedAsync(Limit, cancel);
    }

    /// <summary>The invariant every run keeps, whatever happened.</summary>
    public static void AssertAccounted(RunResult r) => TestRun.AssertAccounted(r);
}
