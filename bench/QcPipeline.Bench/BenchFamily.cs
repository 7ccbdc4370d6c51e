using QcPipeline.Core.Stages;
using QcPipeline.Files;

namespace QcPipeline.Bench;

/// <summary>The benchmarks' own stage types.</summary>
public static class BenchFamily
{
    /// <summary>Registers every bench.* stage.</summary>
    public static StageRegistry AddBench(this StageRegistry registry) => registry
        .Source<CountSource, Num, CountOptions>()
        .Transform<NoopStage, Num, Num, NoOptions>()
        .Sink<DrainSink, Num, NoOptions>()
        .Sink<DiscardSink, FileContent, NoOptions>()
        .Transform<BusyStage, Num, Num, BusyOptions>()
        .FanOut<PartsStage, Num, Num, PartsOptions>()
        .Join<GatherStage, Num, Num, NoOptions>()
        .Sink<DropSink, IItem, NoOptions>();
}

/// <summary>Benchmark sink: takes any item and keeps nothing (the engine's own memory, without an aggregate).</summary>
[Stage("bench.drop", "Benchmark sink: takes any item, keeps nothing.")]
public sealed class DropSink : SinkStage<IItem, NoOptions>
{
    /// <summary>Drops the item.</summary>
    public override ValueTask ConsumeAsync(Outcome<IItem> item, ItemContext context) => ValueTask.CompletedTask;
}
