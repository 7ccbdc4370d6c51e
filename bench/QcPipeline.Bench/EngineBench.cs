using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Telemetry;

namespace QcPipeline.Bench;

/// <summary>
/// Items per second through 5 no-op stages: the engine against a hand-wired chain of 5 bounded
/// TransformBlocks, in the same process, alternating, best of several rounds. Goal: at most 2x.
/// </summary>
public static class EngineBench
{
    private const int Stages = 5;

    public static async Task RunAsync(string[] args)
    {
        var items = args.Length > 0 ? int.Parse(args[0]) : 1_000_000;
        const int rounds = 5;
        var registry = new StageRegistry().AddBench().AddTelemetry();
        var yaml = $$"""
            job: engine-bench
            outputs: { report: false, timeline_limit: 0 }
            telemetry: { traces: false, metrics: false }
            stages:
              source: { type: bench.count, items: {{items}} }
              s1: { type: bench.noop }
              s2: { type: bench.noop }
              s3: { type: bench.noop }
              s4: { type: bench.noop }
              s5: { type: bench.noop }
              sink: { type: bench.drain }
            """;
        var outDir = Path.Combine(Path.GetTempPath(), "qcpipeline-bench-engine");
        double bestHand = double.MaxValue, bestEngine = double.MaxValue;
        await HandWired(10_000); // warm up both
        await Engine(registry, yaml.Replace($"items: {items}", "items: 10000"), outDir);
        for (var r = 0; r < rounds; r++)
        {
            bestHand = Math.Min(bestHand, await HandWired(items));
            bestEngine = Math.Min(bestEngine, await Engine(registry, yaml, outDir));
        }
        double PerItemStage(double s) => s * 1e6 / items / Stages;
        Console.WriteLine($"items: {items:N0}, stages: {Stages}, best of {rounds} rounds");
        Console.WriteLine($"hand-wired TPL chain : {bestHand:F3} s  {items / bestHand:N0} items/s  {PerItemStage(bestHand):F3} µs/item/stage");
        Console.WriteLine($"QcPipeline engine    : {bestEngine:F3} s  {items / bestEngine:N0} items/s  {PerItemStage(bestEngine):F3} µs/item/stage");
        Console.WriteLine($"ratio engine/hand-wired: {bestEngine / bestHand:F2}x (goal <= 2.00x)");
    }

    private static async Task<double> Engine(StageRegistry registry, string yaml, string outDir)
    {
        var graph = GraphCompiler.Compile(new JobLoader(registry).Parse(yaml, "engine-bench.yaml"));
        var sw = Stopwatch.StartNew();
        var result = await new PipelineRunner(graph, outDir).RunAsync();
        sw.Stop();
        if (!result.CountsAddUp || result.Processed != result.Produced) throw new InvalidOperationException("engine bench lost items");
        return sw.Elapsed.TotalSeconds;
    }

    // The baseline: what a developer would wire by hand, bounded like the engine's blocks.
    private static async Task<double> HandWired(int items)
    {
        var options = new ExecutionDataflowBlockOptions { BoundedCapacity = 16, EnsureOrdered = false };
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        var blocks = Enumerable.Range(0, Stages).Select(_ => new TransformBlock<Num, Num>(n => n, options)).ToList();
        long count = 0;
        var sink = new ActionBlock<Num>(_ => count++, options);
        for (var i = 0; i < Stages - 1; i++) blocks[i].LinkTo(blocks[i + 1], link);
        blocks[^1].LinkTo(sink, link);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < items; i++) await blocks[0].SendAsync(new Num(i));
        blocks[0].Complete();
        await sink.Completion;
        sw.Stop();
        if (count != items) throw new InvalidOperationException("hand-wired bench lost items");
        return sw.Elapsed.TotalSeconds;
    }
}

public sealed record Num(long Value) : IItem
{
    public string Key => "n";
}

public sealed class CountOptions
{
    [QcPipeline.Core.Options.Option("How many items to produce.", Min = 0)]
    public int Items { get; init; } = 1000;
}

[Stage("bench.count", "Benchmark source: produces N small items.")]
public sealed class CountSource : SourceStage<Num, CountOptions>
{
    public override async IAsyncEnumerable<Num> ReadAsync(SourceContext context)
    {
        context.AnnounceTotal(Options.Items);
        for (var i = 0; i < Options.Items; i++) yield return new Num(i);
        await Task.CompletedTask;
    }
}

[Stage("bench.noop", "Benchmark transform: passes items on unchanged.")]
public sealed class NoopStage : TransformStage<Num, Num, NoOptions>
{
    public override ValueTask<Num> ProcessAsync(Num item, ItemContext context) => ValueTask.FromResult(item);
}

[Stage("bench.drain", "Benchmark sink: counts items.")]
public sealed class DrainSink : SinkStage<Num, NoOptions>
{
    private long _count;
    public override ValueTask ConsumeAsync(Outcome<Num> item, ItemContext context) { _count++; return ValueTask.CompletedTask; }
}
