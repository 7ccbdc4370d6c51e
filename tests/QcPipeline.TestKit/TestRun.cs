using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using Xunit;
using Xunit.Sdk;

namespace QcPipeline.TestKit;

/// <summary>
/// Jobs through the real path, as the CLI runs them (YAML → JobLoader → GraphCompiler → PipelineRunner), with
/// the hang guard: a run that does not end fails its test instead of hanging the suite.
/// </summary>
public static class TestRun
{
    /// <summary>How long a run may take unless its test says otherwise (generous: the machine is shared).</summary>
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(120);

    /// <summary>Compiles YAML text as if it were read from <paramref name="jobPath"/> (diagnostics name that file).</summary>
    public static PipelineGraph Compile(StageRegistry registry, string yaml, string jobPath,
        Func<string, string?>? environment = null, IReadOnlyList<string>? overrides = null) =>
        GraphCompiler.Compile(new JobLoader(registry, environment).Parse(yaml, jobPath, overrides));

    /// <summary>Compiles a job file.</summary>
    public static PipelineGraph CompileFile(StageRegistry registry, string jobFile,
        Func<string, string?>? environment = null, IReadOnlyList<string>? overrides = null) =>
        GraphCompiler.Compile(new JobLoader(registry, environment).Load(jobFile, overrides));

    /// <summary>The diagnostics of a job expected to be invalid, as printed ("job.yaml:3:5: message").</summary>
    public static List<string> Errors(Func<object> compile)
    {
        try
        {
            compile();
        }
        catch (JobInvalidException e)
        {
            return e.Diagnostics.Select(d => d.ToString()).ToList();
        }
        throw new XunitException("the job was expected to be invalid, but it compiled");
    }

    /// <summary>Runs <paramref name="runner"/> to its end (or until <paramref name="cancel"/>) within
    /// <paramref name="limit"/>; <paramref name="hung"/> adds what helps to understand a hang.</summary>
    public static Task<RunResult> RunGuardedAsync(this PipelineRunner runner, TimeSpan? limit = null,
        CancellationToken cancel = default, Func<string>? hung = null) =>
        Guard(runner.RunAsync(cancel), limit, hung);

    /// <summary>Awaits a run already started, within <paramref name="limit"/>.</summary>
    public static async Task<RunResult> Guard(Task<RunResult> run, TimeSpan? limit = null, Func<string>? hung = null)
    {
        var within = limit ?? DefaultLimit;
        if (await Task.WhenAny(run, Task.Delay(within)) != run)
            throw new XunitException($"the run did not end within {within.TotalSeconds:0} s" + (hung is null ? "" : "; " + hung()));
        return await run;
    }

    /// <summary>A fresh folder under the temporary folder.</summary>
    public static string TempDir(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The invariant every run keeps, whatever happened: each item ended one way, and each unsuccessful
    /// one is listed.</summary>
    public static void AssertAccounted(RunResult r)
    {
        Assert.True(r.CountsAddUp,
            $"produced {r.Produced} != processed {r.Processed} + failed {r.Failed} + skipped {r.Skipped} + cancelled {r.Cancelled}");
        Assert.Equal(r.Failed + r.Skipped + r.Cancelled, r.Unsuccessful.Count);
    }
}
