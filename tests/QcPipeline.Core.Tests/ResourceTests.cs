using QcPipeline.Core.Runtime;
using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>Per-worker resources: one per worker, opened in parallel, lent to one item at a time, always disposed.</summary>
public class ResourceTests
{
    private static string Job(string tag, string pool, string source = "count: 200", string extra = "") => $$"""
        job: pool
        error_budget: 100%
        shutdown_timeout: 300ms
        {{extra}}
        stages:
          src: { type: test.numbers, tag: {{tag}}, {{source}} }
          fetch: { type: test.pool, tag: {{tag}}, {{pool}} }
          out: { type: test.collect, tag: {{tag}} }
        """;

    private static void AssertAllDisposedOnce(Probe p)
    {
        Assert.NotEmpty(p.Opened);
        Assert.All(p.Opened, res => Assert.Equal(1, res.Disposals));
        Assert.Equal(0, Interlocked.Read(ref p.SharedUse));
    }

    [Fact]
    public async Task One_resource_per_worker_opened_in_parallel_used_one_item_at_a_time_and_disposed()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync(Job(tag, "workers: 4, open_delay: 100ms, delay: 1ms"));
        var p = Probe.Of(tag);
        Assert.Equal(200, r.Processed);
        Assert.Equal(4, p.OpensStarted);
        Assert.Equal(4, p.MaxOpensRunning); // all four were opening at the same time
        Assert.Equal([0, 1, 2, 3], p.Opened.Select(o => o.Worker).Order());
        Assert.True(p.WorkersUsed.Keys.All(w => w is >= 0 and < 4));
        Assert.Equal(200, p.WorkersUsed.Values.Sum());
        AssertAllDisposedOnce(p);
        Assert.Equal(4, r.Stages.Single(s => s.Name == "fetch").Workers);
    }

    [Fact]
    public async Task A_resource_shared_by_several_items_is_lent_to_at_most_that_many_and_reopened_once_when_broken()
    {
        var tag = Probe.NewTag();
        // An item sharing a resource fails with it when another item breaks it, so one item can meet all three
        // breaks in a row: four attempts are what guarantees every item ends processed.
        var r = await Harness.RunAsync(Job(tag, "workers: 2, shares: 8, delay: 5ms, break_keys: [n50, n51, n52], retry: { attempts: 4, backoff: 1ms }"));
        var p = Probe.Of(tag);
        Harness.AssertAccounted(r);
        Assert.Equal(200, r.Processed);
        Assert.Equal(8, p.MaxSharing); // 16 items at once over 2 resources, never more than 8 on one
        Assert.True(p.WorkersUsed.Keys.All(w => w is 0 or 1));
        var fetch = r.Stages.Single(s => s.Name == "fetch");
        Assert.Equal(2, fetch.Workers);
        // Each break disposes the resource once, however many items were using it, and the next item reopens it.
        Assert.InRange(p.Opened.Count, 3, 2 + 3);
        AssertAllDisposedOnce(p);
    }

    [Fact]
    public async Task Resources_are_disposed_when_items_fail_and_when_the_run_fails()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync(Job(tag, "workers: 3, fail_ratio: 0.3"));
        Assert.True(r.Failed > 0);
        Harness.AssertAccounted(r);
        AssertAllDisposedOnce(Probe.Of(tag));

        var tag2 = Probe.NewTag();
        var r2 = await Harness.RunAsync(Job(tag2, "workers: 3, delay: 2ms", "count: 1000, fail_after: 30"));
        Assert.Equal(RunOutcome.Failed, r2.Outcome);
        Harness.AssertAccounted(r2);
        AssertAllDisposedOnce(Probe.Of(tag2));
    }

    [Fact]
    public async Task Resources_are_disposed_on_cancel_even_when_items_hang()
    {
        var tag = Probe.NewTag();
        var p = Probe.Of(tag);
        using var cts = FlowTests.CancelWhen(() => p.Opened.Count == 3 && p.WorkersUsed.Count == 3);
        var r = await Harness.RunAsync(Job(tag, "workers: 3, hang_all: true", "forever: true, interval: 1ms"), cts.Token);
        Assert.Equal(RunOutcome.Cancelled, r.Outcome);
        Assert.Equal(r.Produced, r.Cancelled);
        AssertAllDisposedOnce(p);
    }

    [Fact]
    public async Task A_server_that_refuses_some_connections_caps_the_pool_at_those_that_opened()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync(Job(tag, "workers: 4, refuse_from: 2, delay: 1ms"));
        var p = Probe.Of(tag);
        Assert.Equal(RunOutcome.Succeeded, r.Outcome);
        Assert.Equal(200, r.Processed);
        Assert.Equal([0, 1], p.Opened.Select(o => o.Worker).Order());
        Assert.Equal([0, 1], p.WorkersUsed.Keys.Order());
        Assert.Contains(r.Warnings, w => w.StartsWith("fetch: the server accepted 2 of 4 connections; going on with 2", StringComparison.Ordinal));
        AssertAllDisposedOnce(p);
    }

    [Fact]
    public async Task A_pool_that_cannot_open_anything_fails_the_run_with_the_reason()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync(Job(tag, "workers: 3, refuse_all: true"));
        Assert.Equal(RunOutcome.Failed, r.Outcome);
        Assert.Equal("stage 'fetch' could not open its connections: authentication failed (UnauthorizedAccessException)", r.Error);
        Assert.Empty(Probe.Of(tag).Opened);
        Harness.AssertAccounted(r);
        Assert.Equal(0, r.Processed);
        Assert.All(r.Unsuccessful.Where(u => u.State == "failed"), u => Assert.Equal(1, u.Attempts)); // no retry storm
    }

    [Fact]
    public async Task A_broken_resource_is_disposed_and_replaced()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync(Job(tag, "workers: 2, break_keys: [n5, n9], retry: { attempts: 2, backoff: 1ms }", "count: 20"));
        var p = Probe.Of(tag);
        Assert.Equal(20, r.Processed);
        Assert.Equal(4, p.Opened.Count); // two workers, two replacements
        Assert.Equal(2, p.Opened.Count(o => o.Broken));
        AssertAllDisposedOnce(p);
    }
}
