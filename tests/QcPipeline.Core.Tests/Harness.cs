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
    public static List<string> Errors(string yaml, IReadOnlyDictionary<string, string>? env = null, IReadOnlyList<string>? overrides = null)
    {
        try
        {
            Compile(yaml, env, overrides);
        }
        catch (JobInvalidException e)
        {
            return e.Diagnostics.Select(d => d.ToString()).ToList();
        }
        throw new Xunit.Sdk.XunitException("the job was expected to be invalid, but it compiled");
    }

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "qcpipeline-core-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Runs a job to its end (or until <paramref name="cancel"/>); the run's output folder is fresh.</summary>
    public static async Task<RunResult> RunAsync(string yaml, CancellationToken cancel = default, Action<PipelineRunner>? setup = null)
    {
        var runner = new PipelineRunner(Compile(yaml), TempDir());
        setup?.Invoke(runner);
        var run = runner.RunAsync(cancel);
        // A hung run fails the test instead of hanging the suite.
        var done = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30)));
        if (done != run) throw new Xunit.Sdk.XunitException("the run did not end within 30 s");
        return await run;
    }

    /// <summary>The invariant every run keeps, whatever happened.</summary>
    public static void AssertAccounted(RunResult r)
    {
        Xunit.Assert.True(r.CountsAddUp,
            $"produced {r.Produced} != processed {r.Processed} + failed {r.Failed} + skipped {r.Skipped} + cancelled {r.Cancelled}");
        Xunit.Assert.Equal(r.Failed + r.Skipped + r.Cancelled, r.Unsuccessful.Count);
    }
}
