using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>The run timeline stays within outputs.timeline_limit however many items run: a sample of whole
/// items spread over the run, so memory does not grow with the run.</summary>
public class TimelineTests
{
    [Fact]
    public async Task A_long_run_keeps_a_bounded_sample_of_whole_items_from_its_whole_length()
    {
        var tag = Probe.NewTag();
        var r = await Harness.RunAsync($$"""
            job: timeline
            outputs: { timeline_limit: 300 }
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 5000 }
              a: { type: test.map, tag: {{tag}}, plain: true }
              b: { type: test.map, tag: {{tag}}, plain: true }
              out: { type: test.collect, tag: {{tag}}, plain: true }
            """);
        Assert.Equal(5000, r.Processed);
        Assert.True(r.TimelineTruncated);
        Assert.InRange(r.Timeline.Count, 60, 300);
        // Whole items: every kept item has its entry at each of the three stages that see it.
        Assert.All(r.Timeline.GroupBy(e => e.RootId), g => Assert.Equal(3, g.Count()));
        // Spread over the run, not only its start.
        var roots = r.Timeline.Select(e => e.RootId).Distinct().ToList();
        Assert.Contains(roots, id => id > 4000);
        Assert.Contains(roots, id => id < 1000);

        var small = await Harness.RunAsync($$"""
            job: timeline-small
            stages:
              src: { type: test.numbers, tag: {{tag}}s, count: 50 }
              out: { type: test.collect, tag: {{tag}}s }
            """);
        Assert.False(small.TimelineTruncated);
        Assert.Equal(50, small.Timeline.Count);
    }
}
