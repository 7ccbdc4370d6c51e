using QcPipeline.Core.Stages;
using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>A stage sees the stages it feeds (to ask what they need of its items), and only those.</summary>
public class ConsumerTests
{
    [Fact]
    public async Task A_source_sees_the_stages_it_feeds_with_their_options()
    {
        var tag = Probe.NewTag();
        await Harness.RunAsync($$"""
            job: consumers
            stages:
              src: { type: test.numbers, tag: {{tag}}, count: 3 }
              a: { type: test.pool, tag: {{tag}}-a, from: src, shares: 3 }
              b: { type: test.collect, tag: {{tag}}, from: src }
              c: { type: test.collect, tag: {{tag}}, from: a }
            """);
        var seen = Probe.Of(tag).Consumers;
        Assert.Equal(2, seen.Count);
        Assert.Equal(3, Assert.Single(seen.OfType<PoolStage>()).Options.Shares);
        Assert.Single(seen.OfType<CollectStage>());
    }
}
