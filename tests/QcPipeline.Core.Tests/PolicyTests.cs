using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>Stage types are described, then instantiated; each stage's retry and timeout are one pipeline built
/// when the job is compiled, so what it refuses is a located diagnostic of validate, not a crash of run.</summary>
public class PolicyTests
{
    [Fact]
    public void Retry_and_timeout_settings_are_checked_when_the_job_is_compiled_at_their_place()
    {
        var errors = Harness.Errors("""
            job: policy
            stages:
              src: { type: test.numbers }
              a: { type: test.map, retry: { max_backoff: 25h } }
              b: { type: test.map, retry: { backoff: 2s, max_backoff: 1s } }
              c: { type: test.map, timeout: 5ms }
              d: { type: test.map, timeout: 25h }
              out: { type: test.collect }
            """);
        Assert.Equal([
            "job.yaml:4:46: 'max_backoff' in 'retry' in stage 'a' (test.map): 25h is out of range (<= 24h)",
            "job.yaml:5:59: 'max_backoff' in 'retry' in stage 'b' (test.map) (1s) is shorter than 'backoff' (2s)",
            "job.yaml:6:33: 'timeout' in stage 'c' (test.map): 5ms is too short (0 for none, else at least 10ms)",
            "job.yaml:7:33: 'timeout' in stage 'd' (test.map): 25h is out of range (<= 24h)",
        ], errors);
    }

    [Fact]
    public void What_Polly_itself_refuses_is_reported_under_the_key_it_came_from()
    {
        var reported = new List<(string Key, string Message)>();
        var common = new CommonStageOptions { Retry = new RetryOptions { Attempts = 3, MaxBackoff = TimeSpan.FromHours(25) } };
        Assert.Null(StagePolicy.Build(common, (k, m) => reported.Add((k, m))));
        var (key, message) = Assert.Single(reported);
        Assert.Equal("retry.max_backoff", key);
        Assert.Contains("MaxBackoff", message);

        var timeout = new CommonStageOptions { Timeout = TimeSpan.FromMilliseconds(5) };
        reported.Clear();
        Assert.Null(StagePolicy.Build(timeout, (k, m) => reported.Add((k, m))));
        Assert.Equal("timeout", Assert.Single(reported).Key);

        var fine = StagePolicy.Build(new CommonStageOptions(), (k, m) => reported.Add((k, m)));
        Assert.Equal((3, TimeSpan.Zero), (fine!.Attempts, fine.Timeout));
    }

    [Fact]
    public async Task A_source_runs_its_own_operations_under_its_retry_setting()
    {
        var tag = Probe.NewTag();
        var job = (int flaky) => $$"""
            job: flaky-start
            stages:
              src: { type: test.numbers, tag: {{tag}}{{flaky}}, count: 3, flaky_start: {{flaky}}, retry: { attempts: 3, backoff: 50ms, max_backoff: 1s } }
              out: { type: test.collect, tag: {{tag}}{{flaky}} }
            """;
        var recovered = await Harness.RunAsync(job(2));
        Assert.Equal(RunOutcome.Succeeded, recovered.Outcome);
        var attempts = Probe.Of(tag + 2).Attempts["start"].ToArray();
        Assert.Equal([1, 2, 3], attempts.Select(a => a.Attempt));
        var waited = System.Diagnostics.Stopwatch.GetElapsedTime(attempts[0].Ticks, attempts[1].Ticks);
        Assert.True(waited >= TimeSpan.FromMilliseconds(35), $"the first retry came after {waited.TotalMilliseconds} ms, not after the backoff");

        var exhausted = await Harness.RunAsync(job(3));
        Assert.NotEqual(RunOutcome.Succeeded, exhausted.Outcome);
        Assert.Contains("start failed (3)", exhausted.Error);
        Assert.Equal(3, Probe.Of(tag + 3).Attempts["start"].Count);
    }

    [Fact]
    public async Task Compiling_makes_no_stage_instance_and_a_run_makes_one_per_stage()
    {
        var tag = Probe.NewTag();
        var yaml = $$"""
            job: counted
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 20 }
              a: { type: test.counted, workers: 3 }
              b: { type: test.counted }
              out: { type: test.collect, tag: {{tag}} }
            """;
        var before = Volatile.Read(ref CountedStage.Instances);
        var graph = Harness.Compile(yaml);
        Assert.Equal(before, Volatile.Read(ref CountedStage.Instances));
        Assert.Equal(StageShape.Transform, graph.Nodes[1].Descriptor.Shape);
        var r = await Harness.RunAsync(yaml);
        Assert.Equal(20, r.Processed);
        Assert.Equal(before + 2, Volatile.Read(ref CountedStage.Instances));
    }

    [Fact]
    public void Registration_refuses_a_stage_that_redeclares_a_common_key_or_has_no_name()
    {
        var clash = Assert.Throws<InvalidOperationException>(() => new StageRegistry().Transform<ClashStage, Num, Num, ClashOptions>());
        Assert.Contains("redeclares common option(s) workers", clash.Message);
        var unnamed = Assert.Throws<ArgumentException>(() => new StageRegistry().Transform<UnnamedStage, Num, Num, NoOptions>());
        Assert.Contains("has no [Stage] attribute", unnamed.Message);
    }
}
