using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;
using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>How stages are linked: a chain by default, from: for fan-in and fan-out; parallelism and bounds.</summary>
public class CompilerTests
{
    private static string Links(PipelineGraph g) =>
        string.Join(" ", g.Nodes.SelectMany(n => n.Downstream.Select(d => $"{n.Name}>{d.Name}")));

    [Fact]
    public void Stages_form_a_chain_in_file_order_by_default()
    {
        var g = Harness.Compile("""
            job: chain
            stages:
              src: { type: test.numbers }
              a: { type: test.map }
              b: { type: test.map }
              out: { type: test.collect }
            """);
        Assert.Equal(["src", "a", "b", "out"], g.Nodes.Select(n => n.Name));
        Assert.Equal("src>a a>b b>out", Links(g));
        Assert.Equal(StageShape.Source, g.Nodes[0].Descriptor.Shape);
        Assert.Equal(StageShape.Sink, g.Nodes[3].Descriptor.Shape);
    }

    [Fact]
    public void From_joins_several_inputs_and_feeds_several_outputs()
    {
        var g = Harness.Compile("""
            job: shape
            stages:
              left: { type: test.numbers }
              right: { type: test.numbers }
              merge: { type: test.map, from: [left, right] }
              fast: { type: test.collect, from: merge }
              slow: { type: test.collect, from: [merge] }
            """);
        Assert.Equal("left>merge right>merge merge>fast merge>slow", Links(g));
        var merge = g.Nodes.Single(n => n.Name == "merge");
        Assert.Equal(["left", "right"], merge.Upstream.Select(u => u.Name));
    }

    [Fact]
    public void From_may_name_a_stage_further_down_the_file()
    {
        var g = Harness.Compile("""
            job: order
            stages:
              out: { type: test.collect, from: work }
              work: { type: test.map, from: src }
              src: { type: test.numbers }
            """);
        Assert.Equal("work>out src>work", Links(g));
    }

    [Fact]
    public void Fan_out_and_join_compile_into_a_keyed_group()
    {
        var g = Harness.Compile("""
            job: rois
            stages:
              src: { type: test.numbers }
              split: { type: test.split }
              check: { type: test.map, workers: 4 }
              join: { type: test.join }
              out: { type: test.collect }
            """);
        Assert.Equal("src>split split>check check>join join>out", Links(g));
        Assert.Equal(StageShape.FanOut, g.Nodes[1].Descriptor.Shape);
        Assert.Equal(StageShape.Join, g.Nodes[3].Descriptor.Shape);
    }

    [Fact]
    public void Workers_and_capacity_resolve_to_the_block_settings()
    {
        var g = Harness.Compile("""
            job: sizes
            stages:
              src: { type: test.numbers, workers: 8 }
              one: { type: test.map }
              many: { type: test.map, workers: 6 }
              fixed: { type: test.map, workers: 2, capacity: 5 }
              auto: { type: test.auto, workers: auto }
              implicit: { type: test.auto }
              out: { type: test.collect, workers: 4 }
            """);
        int W(string n) => g.Nodes.Single(x => x.Name == n).Workers;
        int C(string n) => g.Nodes.Single(x => x.Name == n).Capacity;
        Assert.Equal(1, W("src"));   // sources and sinks run on one worker whatever is written
        Assert.Equal(1, W("out"));
        Assert.Equal(1, W("one"));
        Assert.Equal(16, C("one"));  // capacity 0: four per worker, at least 16
        Assert.Equal(6, W("many"));
        Assert.Equal(24, C("many"));
        Assert.Equal(2, W("fixed"));
        Assert.Equal(5, C("fixed"));
        Assert.Equal(3, W("auto")); // the stage's own "auto" policy
        Assert.True(g.Nodes.Single(x => x.Name == "auto").WorkersAuto);
        Assert.Equal(3, W("implicit")); // the stage type's default workers (auto) when the job says nothing
    }

    [Fact]
    public void Set_overrides_change_options_by_their_yaml_path()
    {
        var g = Harness.Compile("""
            job: sizes
            stages:
              src: { type: test.numbers }
              work: { type: test.map, workers: 2 }
              out: { type: test.collect }
            """, overrides: ["stages.work.workers=7", "stages.work.retry.attempts=5", "error_budget=10%"]);
        var work = g.Nodes.Single(n => n.Name == "work");
        Assert.Equal(7, work.Workers);
        Assert.Equal(5, work.Definition.Common.Retry.Attempts);
        Assert.Equal("10%", g.Job.Options.ErrorBudget);
    }

    [Fact]
    public void The_graph_renders_each_block_with_its_parallelism_and_capacity()
    {
        var g = Harness.Compile("""
            job: draw
            stages:
              src: { type: test.numbers }
              work: { type: test.map, workers: 3, capacity: 9 }
              out: { type: test.collect }
            """);
        var mermaid = GraphRenderer.Mermaid(g);
        Assert.Contains("s_work[\"work<br/>test.map<br/>workers 3, capacity 9\"]", mermaid);
        Assert.Contains("s_src -->|Num| s_work", mermaid);
        var dot = GraphRenderer.Dot(g);
        Assert.StartsWith("digraph \"draw\"", dot);
        Assert.Contains("s_work -> s_out [label=\"Num\"];", dot);
    }

    [Fact]
    public void Variables_come_from_the_environment_with_defaults_and_dollar_escapes()
    {
        var job = Harness.Load("""
            job: ${NAME}-${MISSING:-fallback}
            description: "costs $$5"
            stages:
              src: { type: test.numbers, count: "${COUNT:-3}", prefix: "${PREFIX:-p}" }
              out: { type: test.collect }
            """, new Dictionary<string, string> { ["NAME"] = "site", ["COUNT"] = "42" });
        Assert.Equal("site-fallback", job.Name);
        Assert.Equal("costs $5", job.Options.Description);
        var o = (NumbersOptions)job.Stages[0].Options;
        Assert.Equal(42, o.Count);
        Assert.Equal("p", o.Prefix);
    }
}
