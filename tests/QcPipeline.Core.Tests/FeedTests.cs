using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using QcPipeline.Core.Runtime;
using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>A source fed from outside (what an HTTP endpoint with a synchronous answer uses): each caller awaits its
/// item's end and the sink's record of it; the run keeps its accounting; the feed is bounded.</summary>
public sealed class FeedTests
{
    private static string Job(string tag, string map = "") => $$"""
        job: fed
        stages:
          numbers: { type: test.numbers, tag: {{tag}}, count: 1000000 }
          map: { type: test.map, tag: {{tag}}, workers: 2{{map}} }
          split: { type: test.split, children: 3 }
          join: { type: test.join, tag: {{tag}} }
          sink: { type: test.collect, tag: {{tag}} }
        """;

    private static Task<RunResult> Within(Task<RunResult> run) => TestRun.Guard(run, Harness.Limit);

    [Fact]
    public async Task Fed_items_go_through_the_graph_and_each_caller_gets_its_outcome_and_record()
    {
        var tag = Probe.NewTag();
        var runner = new PipelineRunner(Harness.Compile(Job(tag, ", fail_keys: [f3]")), Harness.TempDir());
        var feed = runner.Feed("numbers", capacity: 8);
        var run = runner.RunAsync();

        var outcomes = new List<(string Key, FedOutcome Outcome)>();
        for (var i = 0; i < 20; i++)
        {
            var key = $"f{i}";
            var pending = feed.TrySubmit(new Num(key, i, i));
            Assert.NotNull(pending);
            outcomes.Add((key, await pending));
        }
        Assert.Equal(0, feed.Pending);
        feed.Complete();
        var result = await Within(run);

        foreach (var (key, o) in outcomes)
        {
            var record = JsonDocument.Parse(o.RecordOf("sink")!).RootElement;
            Assert.Equal(key, record.GetProperty("key").GetString());
            if (key == "f3")
            {
                Assert.Equal(ItemState.Failed, o.State);
                Assert.Equal("map", o.Failure!.Stage);
                Assert.Contains("f3 is bad", o.Failure.Reason);
                Assert.False(record.GetProperty("ok").GetBoolean());
            }
            else
            {
                Assert.Equal(ItemState.Processed, o.State);
                Assert.True(record.GetProperty("ok").GetBoolean());
            }
        }
        // The source stage itself never ran: only the fed items were produced, and the accounting holds.
        Assert.Equal(20, result.Produced);
        Assert.Equal(19, result.Processed);
        Assert.Equal(1, result.Failed);
        Assert.Equal(0, Probe.Of(tag).Produced);
        Harness.AssertAccounted(result);
        Assert.Equal(RunOutcome.ItemsFailed, result.Outcome);
    }

    [Fact]
    public async Task A_full_feed_says_no_at_once_and_a_stop_cancels_what_is_pending()
    {
        var tag = Probe.NewTag();
        var runner = new PipelineRunner(Harness.Compile(Job(tag, ", hang_all: true")), Harness.TempDir());
        var feed = runner.Feed("numbers", capacity: 3);
        var run = runner.RunAsync();

        var pending = Enumerable.Range(0, 3).Select(i => feed.TrySubmit(new Num($"h{i}", i, i))).ToList();
        Assert.All(pending, Assert.NotNull);
        Assert.Equal(3, feed.Pending);
        Assert.Null(feed.TrySubmit(new Num("over", 9, 9)));   // bounded: no queue beyond the capacity

        runner.Abandon();
        var ended = await Task.WhenAll(pending!);
        Assert.All(ended, o => Assert.Equal(ItemState.Cancelled, o.State));
        var result = await Within(run);
        Assert.Equal(3, result.Produced);
        Assert.Equal(3, result.Cancelled);
        Harness.AssertAccounted(result);

        // After the run, a submission is answered at once, as cancelled.
        var late = await feed.TrySubmit(new Num("late", 1, 1))!;
        Assert.Equal(ItemState.Cancelled, late.State);
        Assert.Equal(0, feed.Pending);
    }

    [Fact]
    public async Task A_fed_item_is_traced_beneath_its_callers_span()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == PipelineTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var tag = Probe.NewTag();
        var job = $$"""
            job: fed-traced
            stages:
              numbers: { type: test.numbers, tag: {{tag}} }
              split: { type: test.split, children: 3 }
              map: { type: test.map, tag: {{tag}}, workers: 2 }
              join: { type: test.join, tag: {{tag}} }
              sink: { type: test.collect, tag: {{tag}} }
            """;
        var runner = new PipelineRunner(Harness.Compile(job), Harness.TempDir());
        var feed = runner.Feed("numbers", capacity: 4);
        var run = runner.RunAsync();
        var caller = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        Assert.Equal(ItemState.Processed, (await feed.TrySubmit(new Num("t0", 0, 0), caller)!).State);
        feed.Complete();
        await Within(run);

        var mine = spans.Where(s => s.TraceId == caller.TraceId).ToList();
        // Every stage the item and its children went through is in the caller's trace: the item's own spans beneath
        // the caller's, its three children's beneath the split's.
        Assert.Equal(new[] { "join", "map", "sink", "split" }, mine.Select(s => s.DisplayName).Distinct().Order());
        var split = Assert.Single(mine, s => s.DisplayName == "split");
        Assert.Equal(3, mine.Count(s => s.DisplayName == "map" && s.ParentSpanId == split.SpanId));
        Assert.All(mine.Where(s => s.DisplayName is "split" or "join" or "sink"), s => Assert.Equal(caller.SpanId, s.ParentSpanId));
    }
}
