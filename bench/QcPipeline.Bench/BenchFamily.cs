using QcPipeline.Core.Stages;

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
        .Join<GatherStage, Num, Num, NoOptions>();
}
