using QcPipeline.Core.Runtime;
using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>Backpressure and cancellation: bounded queues, Ctrl+C, shutdown timeout, abandon.</summary>
public class FlowTests
{
    /// <summary>Cancels once <paramref name="condition"/> holds (checked every few ms).</summary>
    internal static CancellationTokenSource CancelWhen(Func<bool> condition)
    {
        var cts = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            var giveUp = DateTime.UtcNow.AddSeconds(30);
            while (!condition() && DateTime.UtcNow < giveUp) await Task.Delay(2);
            cts.Cancel();
        });
        return cts;
    }

    [Fact]
    public async Task A_slow_sink_keeps_100k_items_within_the_queue_bounds()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: backpressure
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 100000 }
              a: { type: test.map, workers: 2, capacity: 8, plain: true }
              b: { type: test.map, workers: 4, plain: true }
              out: { type: test.collect, tag: {{tag}}, spin: 50, capacity: 10, plain: true }
            """);
        Assert.Equal(100_000, r.Processed);
        Harness.AssertAccounted(r);
        // Every block's bound covers its queue and the items its workers hold, so the items between the
        // source and the end of the sink never exceed the sum of the capacities, plus the one being sent.
        var bound = r.Stages.Where(s => s.Name != "src").Sum(s => s.Capacity) + 1;
        Assert.Equal(8 + 16 + 10 + 1, bound);
        var p = Probe.Of(tag);
        Assert.True(p.MaxInFlight <= bound, $"{p.MaxInFlight} items were in flight at once; the bound is {bound}");
        // The sink was the bottleneck: the queues filled up and the source waited for room.
        Assert.True(p.MaxInFlight >= bound - 8, $"only {p.MaxInFlight} in flight: the sink was not slower than the source");
        Assert.True(r.Stages.Single(s => s.Name == "src").BlockedMs > 0);
    }

    [Fact]
    public async Task Cancel_stops_the_sources_lets_running_items_finish_and_counts_the_rest_as_cancelled()
    {
        var tag = Probe.NewTag();
        var p = Probe.Of(tag);
        using var cts = CancelWhen(() => Interlocked.Read(ref p.Produced) >= 60);
        var r = await Harness.RunAsync($$"""
            job: cancel
            shutdown_timeout: 10s
            stages:
              src: { type: test.numbers, tag: {{tag}}, forever: true, interval: 1ms }
              work: { type: test.map, tag: {{tag}}, workers: 2, delay: 20ms }
              out: { type: test.collect, tag: {{tag}} }
            """, cts.Token);
        Assert.Equal(RunOutcome.Cancelled, r.Outcome);
        Assert.Equal(130, r.ExitCode);
        Harness.AssertAccounted(r);
        Assert.True(r.Cancelled > 0, "items waiting in the queue when the run stopped are cancelled");
        Assert.All(r.Unsuccessful, u => Assert.Equal("cancelled", u.State));
        // Items already started when Ctrl+C came were finished (within shutdown_timeout), not dropped.
        var started = p.Attempts.Keys.Select(k => k["work/".Length..]).ToHashSet();
        var finished = p.Sunk.Where(o => o.IsOk).Select(o => o.Key).ToHashSet();
        Assert.Equal(started, finished);
        Assert.Equal(r.Processed, finished.Count);
        // The source stopped: nothing more is produced after the run.
        var produced = Interlocked.Read(ref p.Produced);
        await Task.Delay(50);
        Assert.Equal(produced, Interlocked.Read(ref p.Produced));
        Assert.Equal(produced, r.Produced);
    }

    [Fact]
    public async Task Items_still_running_at_the_shutdown_timeout_are_abandoned_and_cancelled()
    {
        var tag = Probe.NewTag();
        var p = Probe.Of(tag);
        using var cts = CancelWhen(() => Interlocked.Read(ref p.Running) >= 3);
        var r = await Harness.RunAsync($$"""
            job: abandon
            shutdown_timeout: 200ms
            stages:
              src: { type: test.numbers, tag: {{tag}}, forever: true, interval: 1ms }
              work: { type: test.map, tag: {{tag}}, workers: 3, hang_all: true }
              out: { type: test.collect, tag: {{tag}} }
            """, cts.Token);
        Assert.Equal(RunOutcome.Cancelled, r.Outcome);
        Assert.Equal(0, r.Processed);
        Assert.Equal(r.Produced, r.Cancelled);
        Assert.True(r.Produced >= 3);
        Harness.AssertAccounted(r);
    }

    [Fact]
    public async Task Items_stuck_in_calls_that_ignore_cancellation_are_abandoned_and_sinks_still_flush()
    {
        var tag = Probe.NewTag();
        var p = Probe.Of(tag);
        using var cts = CancelWhen(() => Interlocked.Read(ref p.Running) >= 2);
        var r = await Harness.RunAsync($$"""
            job: stuck
            shutdown_timeout: 200ms
            stages:
              src: { type: test.numbers, tag: {{tag}}, forever: true, interval: 1ms }
              work: { type: test.map, tag: {{tag}}, workers: 2, stuck: true }
              out: { type: test.collect, tag: {{tag}} }
            """, cts.Token);
        // The run ended although both items are still inside the stage (for 20 s).
        Assert.Equal(2, Interlocked.Read(ref p.Running));
        Assert.Equal(RunOutcome.Cancelled, r.Outcome);
        Assert.Equal(r.Produced, r.Cancelled);
        Harness.AssertAccounted(r);
        Assert.Equal(1, Interlocked.Read(ref p.Flushes));
    }

    [Fact]
    public async Task A_second_ctrl_c_abandons_at_once_whatever_the_shutdown_timeout()
    {
        var tag = Probe.NewTag();
        var p = Probe.Of(tag);
        PipelineRunner? runner = null;
        _ = Task.Run(async () =>
        {
            while (Interlocked.Read(ref p.Running) < 2 || Volatile.Read(ref runner) is null) await Task.Delay(2);
            runner!.Abandon();
        });
        var r = await Harness.RunAsync($$"""
            job: abandon-now
            shutdown_timeout: 10m
            stages:
              src: { type: test.numbers, tag: {{tag}}, forever: true, interval: 1ms }
              work: { type: test.map, tag: {{tag}}, workers: 2, hang_all: true }
              out: { type: test.collect, tag: {{tag}} }
            """, setup: x => Volatile.Write(ref runner, x));
        Assert.Equal(RunOutcome.Cancelled, r.Outcome);
        Assert.Equal("cancelled by the user", r.Error);
        Assert.Equal(r.Produced, r.Cancelled);
        Harness.AssertAccounted(r);
    }

    [Fact]
    public async Task Cancel_during_retries_and_fan_out_keeps_the_counts()
    {
        var tag = Probe.NewTag();
        var p = Probe.Of(tag);
        using var cts = CancelWhen(() => Interlocked.Read(ref p.Consumed) >= 40);
        var r = await Harness.RunAsync($$"""
            job: cancel-mixed
            error_budget: 100%
            shutdown_timeout: 2s
            stages:
              src: { type: test.numbers, tag: {{tag}}, forever: true, interval: 1ms }
              split: { type: test.split, tag: {{tag}}, children: 4, vary: true }
              check: { type: test.map, tag: {{tag}}, workers: 3, flaky_ratio: 0.3, fail_ratio: 0.1, jitter: 4ms, retry: { attempts: 3, backoff: 5ms } }
              join: { type: test.join, tag: {{tag}} }
              out: { type: test.collect, tag: {{tag}} }
            """, cts.Token);
        Assert.Equal(RunOutcome.Cancelled, r.Outcome);
        Harness.AssertAccounted(r);
        Assert.True(r.Processed > 0 && r.Failed > 0 && r.Skipped > 0);
    }

    [Fact]
    public async Task Items_abandoned_at_the_second_ctrl_c_are_cancelled_even_when_their_call_fails_on_the_way_out()
    {
        var tag = Probe.NewTag();
        var p = Probe.Of(tag);
        PipelineRunner? runner = null;
        _ = Task.Run(async () =>
        {
            while (Interlocked.Read(ref p.Running) < 2 || Volatile.Read(ref runner) is null) await Task.Delay(2);
            runner!.Abandon();
        });
        var r = await Harness.RunAsync($$"""
            job: abandon-io
            shutdown_timeout: 10m
            error_budget: 100%
            stages:
              src: { type: test.numbers, tag: {{tag}}, forever: true, interval: 1ms }
              work: { type: test.map, tag: {{tag}}, workers: 2, hang_all: true, abort_as_io: true }
              out: { type: test.collect, tag: {{tag}} }
            """, setup: x => Volatile.Write(ref runner, x));
        Assert.Equal(RunOutcome.Cancelled, r.Outcome);
        Assert.Equal(0, r.Failed); // an aborted call's error is not the item's failure: the run gave up on it
        Assert.Equal(r.Produced, r.Cancelled);
        Assert.All(r.Unsuccessful, u => Assert.Equal("cancelled", u.State));
        Harness.AssertAccounted(r);
    }
}
