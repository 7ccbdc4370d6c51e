using System.Diagnostics;
using System.Text.Json;
using QcPipeline.Core.Runtime;
using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>Runs of real jobs: per-item errors, retries, timeouts, error policies and budgets, fan-in, fan-out and joins.</summary>
public class RunTests
{
    [Fact]
    public async Task A_chain_processes_every_item_and_the_table_adds_up()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: chain
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 500 }
              work: { type: test.map, tag: {{tag}}, workers: 4 }
              out: { type: test.collect, tag: {{tag}} }
            """);
        Assert.Equal(RunOutcome.Succeeded, r.Outcome);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(500, r.Produced);
        Assert.Equal(500, r.Processed);
        Harness.AssertAccounted(r);
        var p = Probe.Of(tag);
        Assert.Equal(500, p.Sunk.Select(o => o.Key).Distinct().Count());
        Assert.Equal(1, p.Flushes);
        var work = r.Stages.Single(s => s.Name == "work");
        Assert.Equal((500, 500, 0), (work.In, work.Out, work.Failed));
        Assert.Equal(4, work.Workers);
        Assert.True(p.MaxRunning <= 4);
    }

    [Fact]
    public async Task A_failing_or_skipped_item_is_recorded_and_the_rest_go_on()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: isolate
            error_budget: 100%
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 40 }
              work: { type: test.map, tag: {{tag}}, workers: 3, fail_keys: [n3, n7], skip_ratio: 0.2, seed: 5 }
              out: { type: test.collect, tag: {{tag}} }
            """);
        var skipped = Enumerable.Range(0, 40).Select(i => $"n{i}")
            .Where(k => k is not ("n3" or "n7") && Chance.Of(6, k) < 0.2).ToHashSet();
        Assert.NotEmpty(skipped);
        Assert.Equal(2, r.Failed);
        Assert.Equal(skipped.Count, r.Skipped);
        Assert.Equal(40 - 2 - skipped.Count, r.Processed);
        Harness.AssertAccounted(r);
        var n3 = r.Unsuccessful.Single(u => u.Item == "n3");
        Assert.Equal(("failed", "work", "n3 is bad (InvalidOperationException)", 1), (n3.State, n3.Stage, n3.Reason, n3.Attempts));
        Assert.Equal(skipped, r.Unsuccessful.Where(u => u.State == "skipped").Select(u => u.Item).ToHashSet());
        // The sink sees failed items too, with the item as it was when it failed.
        var sunk = Probe.Of(tag).Sunk.Single(o => o.Key == "n7");
        Assert.False(sunk.IsOk);
        Assert.Equal("work", sunk.Failure!.Stage);
        Assert.Equal(7, ((Num)sunk.Input!).Value);
        Assert.Equal(40, Probe.Of(tag).Sunk.Count);
    }

    [Fact]
    public async Task Transient_errors_are_retried_with_backoff_and_attempts_are_counted()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: retry
            error_budget: 10
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 6 }
              work:
                type: test.map
                tag: {{tag}}
                flaky_keys: [n1]
                flaky_attempts: 2
                transient_keys: [n2]
                fail_keys: [n3]
                retry: { attempts: 4, backoff: 40ms, max_backoff: 1s }
              out: { type: test.collect, tag: {{tag}} }
            """);
        var p = Probe.Of(tag);
        int[] Attempts(string key) => p.Attempts["work/" + key].Select(a => a.Attempt).ToArray();
        Assert.Equal([1, 2, 3], Attempts("n1"));     // failed twice, then worked
        Assert.Equal([1, 2, 3, 4], Attempts("n2"));  // transient every time: all attempts, then failed
        Assert.Equal([1], Attempts("n3"));           // not transient: no retry
        Assert.Equal([1], Attempts("n0"));
        Assert.Equal(4, r.Processed);
        var n2 = r.Unsuccessful.Single(u => u.Item == "n2");
        Assert.Equal(("n2: connection reset", 4), (n2.Reason, n2.Attempts));
        Assert.Equal(1, r.Unsuccessful.Single(u => u.Item == "n3").Attempts);
        // The first retry waits the backoff (±20% jitter) before it starts.
        var ticks = p.Attempts["work/n2"].Select(a => a.Ticks).ToArray();
        Assert.True(Stopwatch.GetElapsedTime(ticks[0], ticks[1]) >= TimeSpan.FromMilliseconds(30),
            $"the first retry came after {Stopwatch.GetElapsedTime(ticks[0], ticks[1]).TotalMilliseconds} ms");
        Harness.AssertAccounted(r);
    }

    [Fact]
    public async Task A_timeout_ends_one_attempt_and_the_item_is_retried_or_failed()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: timeout
            error_budget: 10
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 4 }
              once:
                type: test.map
                tag: {{tag}}
                hang_keys: [n1]         # the first attempt hangs, the second works
                timeout: 100ms
                retry: { attempts: 2, backoff: 1ms }
              always:
                type: test.map
                tag: {{tag}}
                hang_keys: [n2]
                flaky_attempts: 9       # every attempt hangs
                timeout: 100ms
                retry: { attempts: 2, backoff: 1ms }
              out: { type: test.collect, tag: {{tag}} }
            """);
        var p = Probe.Of(tag);
        Assert.Equal([1, 2], p.Attempts["once/n1"].Select(a => a.Attempt));
        Assert.Equal([1, 2], p.Attempts["always/n2"].Select(a => a.Attempt));
        Assert.Equal(3, r.Processed);
        var n2 = Assert.Single(r.Unsuccessful);
        Assert.Equal(("n2", "failed", "always", "timed out after 100ms", 2), (n2.Item, n2.State, n2.Stage, n2.Reason, n2.Attempts));
        Harness.AssertAccounted(r);
    }

    [Fact]
    public async Task A_stage_that_throws_OperationCanceledException_fails_the_item_instead_of_losing_it()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: oce
            error_budget: 10
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 5 }
              work: { type: test.map, tag: {{tag}}, cancel_keys: [n2] }
              out: { type: test.collect, tag: {{tag}} }
            """);
        Assert.Equal(4, r.Processed);
        var n2 = Assert.Single(r.Unsuccessful);
        Assert.Equal(("n2", "failed"), (n2.Item, n2.State));
        Assert.Contains("gave up", n2.Reason);
        Assert.Equal(RunOutcome.Succeeded, r.Outcome);
    }

    [Fact]
    public async Task On_error_fail_stops_the_run_with_exit_1_and_the_rest_are_cancelled()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: failfast
            error_budget: 100%
            stages:
              src: { type: test.numbers, tag: {{tag}}, forever: true, interval: 1ms }
              work: { type: test.map, tag: {{tag}}, fail_keys: [n20], on_error: fail }
              out: { type: test.collect, tag: {{tag}} }
            """);
        Assert.Equal(RunOutcome.ItemsFailed, r.Outcome);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("stage 'work' failed on 'n20': n20 is bad (InvalidOperationException) (on_error: fail)", r.Error);
        Assert.Equal("failed", r.Unsuccessful.Single(u => u.Item == "n20").State);
        Assert.Equal(1, r.Failed);
        Assert.True(r.Processed >= 20);
        Harness.AssertAccounted(r);
    }

    [Fact]
    public async Task On_error_dead_letter_appends_each_failed_item_to_the_file()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: dlq
            error_budget: 5
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 10 }
              work: { type: test.map, tag: {{tag}}, fail_keys: [n1, n4], on_error: dead_letter, retry: { attempts: 1 } }
              out: { type: test.collect, tag: {{tag}} }
            """);
        Assert.Equal(RunOutcome.Succeeded, r.Outcome);
        var lines = File.ReadAllLines(Path.Combine(r.OutputDirectory, "dead-letter.jsonl"));
        var records = lines.Select(l => JsonDocument.Parse(l).RootElement).OrderBy(e => e.GetProperty("item").GetString()).ToList();
        Assert.Equal(["n1", "n4"], records.Select(e => e.GetProperty("item").GetString()));
        Assert.All(records, e =>
        {
            Assert.Equal("work", e.GetProperty("stage").GetString());
            Assert.EndsWith("is bad (InvalidOperationException)", e.GetProperty("reason").GetString());
            Assert.Equal(1, e.GetProperty("attempts").GetInt32());
        });
        // continue (the default) writes no such file
        var r2 = await Harness.RunAsync($$"""
            job: nodlq
            error_budget: 5
            stages:
              src: { type: test.numbers, tag: {{tag}}x, count: 10 }
              work: { type: test.map, tag: {{tag}}x, fail_keys: [n1] }
              out: { type: test.collect, tag: {{tag}}x }
            """);
        Assert.Equal(1, r2.Failed);
        Assert.False(File.Exists(Path.Combine(r2.OutputDirectory, "dead-letter.jsonl")));
    }

    [Theory]
    [InlineData("0", 0, 0)]
    [InlineData("0", 1, 1)]
    [InlineData("3", 3, 0)]
    [InlineData("2", 3, 1)]
    [InlineData("10%", 4, 0)]   // 4 of 40 is 10%: within
    [InlineData("5%", 4, 1)]
    public async Task The_error_budget_decides_the_exit_code(string budget, int failures, int exitCode)
    {
        var tag = Probe.NewTag();
        var keys = string.Join(", ", Enumerable.Range(0, failures).Select(i => $"n{i * 3}"));
        var r = await Harness.RunAsync($$"""
            job: budget
            error_budget: "{{budget}}"
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 40 }
              work: { type: test.map, tag: {{tag}}, fail_keys: [{{keys}}] }
              out: { type: test.collect, tag: {{tag}} }
            """);
        Assert.Equal(failures, r.Failed);
        Assert.Equal(exitCode, r.ExitCode);
        Assert.Equal(exitCode == 0 ? RunOutcome.Succeeded : RunOutcome.ItemsFailed, r.Outcome);
        if (exitCode == 1) Assert.Equal($"{failures} of 40 items failed, beyond the error budget ({budget})", r.Error);
    }

    [Fact]
    public async Task Two_sources_into_one_stage_complete_only_when_both_are_done()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: fanin
            stages:
              fast: { type: test.numbers, tag: {{tag}}, count: 5, prefix: f }
              slow: { type: test.numbers, tag: {{tag}}, count: 40, prefix: s, interval: 2ms }
              merge: { type: test.map, tag: {{tag}}, from: [fast, slow], workers: 2 }
              out: { type: test.collect, tag: {{tag}} }
            """);
        Assert.Equal(RunOutcome.Succeeded, r.Outcome);
        Assert.Equal(45, r.Processed);
        var keys = Probe.Of(tag).Sunk.Select(o => o.Key).ToHashSet();
        Assert.Equal(45, keys.Count);
        Assert.Contains("s39", keys); // the last item of the slower source was not lost when the faster one finished
        Harness.AssertAccounted(r);
    }

    [Fact]
    public async Task A_failing_source_faults_the_run_while_the_other_sources_items_stay_accounted()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: fanin-fault
            stages:
              broken: { type: test.numbers, tag: {{tag}}, count: 100, fail_after: 5, prefix: b, interval: 1ms }
              steady: { type: test.numbers, tag: {{tag}}, forever: true, prefix: s, interval: 1ms }
              merge: { type: test.map, tag: {{tag}}, from: [broken, steady] }
              out: { type: test.collect, tag: {{tag}} }
            """);
        Assert.Equal(RunOutcome.Failed, r.Outcome);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("stage 'broken' (test.numbers) failed: source broke after 5 items", r.Error);
        Assert.True(r.Produced >= 5);
        Harness.AssertAccounted(r);
    }

    [Fact]
    public async Task Items_a_source_cannot_produce_are_failed_with_the_reason()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: unreadable
            error_budget: 2
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 3, unreadable: 2 }
              out: { type: test.collect, tag: {{tag}} }
            """);
        Assert.Equal((5L, 3L, 2L), (r.Produced, r.Processed, r.Failed));
        Assert.All(r.Unsuccessful, u => Assert.Equal(("src", "unreadable"), (u.Stage, u.Reason)));
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public async Task A_stage_that_cannot_start_fails_the_run_cleanly()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: nostart
            stages:
              src: { type: test.numbers, tag: {{tag}}, fail_start: true }
              out: { type: test.collect, tag: {{tag}} }
            """);
        Assert.Equal(RunOutcome.Failed, r.Outcome);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("stage 'src' could not start: cannot start numbers (InvalidOperationException)", r.Error);
        Assert.Equal(0, r.Produced);
    }

    [Fact]
    public async Task A_sink_failing_an_item_or_its_flush_is_reported()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: sinkfail
            error_budget: 1
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 10 }
              out: { type: test.collect, tag: {{tag}}, fail_keys: [n4], fail_flush: true }
            """);
        Assert.Equal(RunOutcome.Failed, r.Outcome);
        Assert.Equal("stage 'out' could not write its outputs: disk full", r.Error);
        Assert.Equal((9L, 1L), (r.Processed, r.Failed));
        Assert.Equal(("n4", "out", "cannot write n4"), (r.Unsuccessful[0].Item, r.Unsuccessful[0].Stage, r.Unsuccessful[0].Reason));
        Harness.AssertAccounted(r);
    }

    [Fact]
    public async Task A_join_collects_each_parents_children_by_key_in_emit_order()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: rois
            error_budget: 100%
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 60 }
              split: { type: test.split, tag: {{tag}}, children: 5 }
              check: { type: test.map, tag: {{tag}}, workers: 4, jitter: 3ms, fail_keys: ["n3#2"] }
              join: { type: test.join, tag: {{tag}} }
              out: { type: test.collect, tag: {{tag}} }
            """);
        var p = Probe.Of(tag);
        Assert.Equal(60, p.JoinOrders.Count);
        foreach (var (parent, order) in p.JoinOrders)
            Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{parent}#{i}"), order);
        // One result per parent, none lost; the parent with a failed child is failed, and still joined.
        Assert.Equal(60, p.Sunk.Count);
        Assert.All(p.Sunk, o => Assert.Equal(5, o.Value!.Value));
        Assert.Equal((59L, 1L), (r.Processed, r.Failed));
        var n3 = Assert.Single(r.Unsuccessful);
        Assert.Equal(("n3", "check", "n3#2 is bad (InvalidOperationException)"), (n3.Item, n3.Stage, n3.Reason));
        Assert.Equal(300, r.Stages.Single(s => s.Name == "check").In);
        Harness.AssertAccounted(r);
    }

    [Fact]
    public async Task A_fan_out_with_no_children_skips_the_item()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: empty
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 9 }
              split: { type: test.split, tag: {{tag}}, children: 2, vary: true }
              join: { type: test.join, tag: {{tag}} }
              out: { type: test.collect, tag: {{tag}} }
            """);
        // value mod 3 children: n0, n3, n6 have none
        Assert.Equal(["n0", "n3", "n6"], r.Unsuccessful.Select(u => u.Item).Order());
        Assert.All(r.Unsuccessful, u => Assert.Equal(("skipped", "fan-out produced no children"), (u.State, u.Reason)));
        Assert.Equal(6, r.Processed);
        Assert.Equal(RunOutcome.Succeeded, r.Outcome);
    }

    [Fact]
    public async Task One_output_read_by_two_stages_reaches_both()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: broadcast
            error_budget: 100%
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 30 }
              a: { type: test.collect, tag: {{tag}}, from: src }
              b: { type: test.map, tag: {{tag}}, from: src, fail_keys: [n5] }
              c: { type: test.collect, tag: {{tag}}, from: b }
            """);
        Assert.Equal(60, Probe.Of(tag).Sunk.Count);
        Assert.Equal((29L, 1L), (r.Processed, r.Failed)); // n5 failed on one branch: the item failed
        Harness.AssertAccounted(r);
    }

    [Fact]
    public async Task Run_json_has_the_accounting_and_never_a_secret()
    {
        var dir = Harness.TempDir();
        File.WriteAllText(Path.Combine(dir, "pw.txt"), "file-secret-7781");
        var variable = "QC_RUNJSON_PW_" + Guid.NewGuid().ToString("N")[..6];
        Environment.SetEnvironmentVariable(variable, "env-secret-5521");
        try
        {
            var tag = Probe.NewTag();
            var job = new Jobs.JobLoader(Harness.Registry).Parse($$"""
                job: secrets
                error_budget: 5
                connections:
                  site: { type: test.conn, host: example, password: "env:{{variable}}" }
                stages:
                  src: { type: test.numbers, tag: {{tag}}, count: 4, connection: site, password: "file:pw.txt" }
                  work: { type: test.map, tag: {{tag}}, fail_keys: [n2] }
                  out: { type: test.collect, tag: {{tag}} }
                """, Path.Combine(dir, "job.yaml"));
            var o = (NumbersOptions)job.Stages[0].Options;
            Assert.Equal("file-secret-7781", o.Password.Reveal());
            Assert.Equal("env-secret-5521", o.Connection!.Password.Reveal());
            var graph = Graph.GraphCompiler.Compile(job);
            var r = await new PipelineRunner(graph, Path.Combine(dir, "out")).RunGuardedAsync(Harness.Limit);
            var path = Path.Combine(r.OutputDirectory, "run.json");
            RunJson.Write(path, r);
            var text = File.ReadAllText(path);
            using var doc = JsonDocument.Parse(text);
            var items = doc.RootElement.GetProperty("items");
            Assert.Equal(4, items.GetProperty("produced").GetInt64());
            Assert.Equal(3, items.GetProperty("processed").GetInt64());
            Assert.Equal(1, items.GetProperty("failed").GetInt64());
            Assert.True(items.GetProperty("counts_add_up").GetBoolean());
            Assert.Equal("n2", doc.RootElement.GetProperty("unsuccessful")[0].GetProperty("item").GetString());
            Assert.Equal("succeeded", doc.RootElement.GetProperty("outcome").GetString());
            foreach (var shown in new[] { text, o.Password.ToString(), o.Connection.Password.ToString(),
                         string.Join("\n", job.Stages.Select(s => Options.OptionSpec.FormatValue(s.Options))),
                         Graph.GraphRenderer.Mermaid(graph), Graph.GraphRenderer.Dot(graph) })
            {
                Assert.DoesNotContain("file-secret-7781", shown);
                Assert.DoesNotContain("env-secret-5521", shown);
            }
        }
        finally { Environment.SetEnvironmentVariable(variable, null); }
    }
}
