using System.Reflection;
using QcPipeline.Core.Options;
using QcPipeline.Core.Runtime;

namespace QcPipeline.Core.Stages;

/// <summary>How a stage moves items.</summary>
public enum StageShape
{
    /// <summary>Produces the run's items.</summary>
    Source,
    /// <summary>One item in, one item out.</summary>
    Transform,
    /// <summary>One item in, one item out, using a pooled per-worker resource (a connection).</summary>
    PooledTransform,
    /// <summary>One item in, its children out.</summary>
    FanOut,
    /// <summary>The children of one fan-out in, one item out.</summary>
    Join,
    /// <summary>Items in, outputs written; nothing out.</summary>
    Sink,
}

/// <summary>
/// One registered stage type, described without an instance: its name, shape, item types and options,
/// and a factory. The compiler works on descriptors and bound options only; instances are made by the
/// runtime, once per run, through <see cref="Create"/>.
/// </summary>
public sealed class StageDescriptor
{
    private readonly Func<IStageLifecycle> _create;
    private readonly Func<IStageLifecycle, StageInvoker> _bind;

    internal StageDescriptor(Type stageClass, StageShape shape, Type? input, Type? output, Type options,
        Func<IStageLifecycle> create, Func<IStageLifecycle, StageInvoker> bind)
    {
        var attr = stageClass.GetCustomAttribute<StageAttribute>()
            ?? throw new ArgumentException($"{stageClass.Name} has no [Stage] attribute");
        StageClass = stageClass; Name = attr.Type; Summary = attr.Summary; DefaultWorkers = attr.DefaultWorkers;
        Shape = shape; InputType = input; OutputType = output; OptionsType = options;
        _create = create; _bind = bind;
    }

    /// <summary>The class that implements the stage.</summary>
    public Type StageClass { get; }

    /// <summary>The YAML type name, e.g. files.list.</summary>
    public string Name { get; }

    /// <summary>One sentence for `stages` and the reference.</summary>
    public string Summary { get; }

    /// <summary>How the stage moves items.</summary>
    public StageShape Shape { get; }

    /// <summary>The item type the stage reads (null for sources).</summary>
    public Type? InputType { get; }

    /// <summary>The item type the stage writes (null for sinks).</summary>
    public Type? OutputType { get; }

    /// <summary>The class its options bind to.</summary>
    public Type OptionsType { get; }

    /// <summary>Workers when the job does not say: a number or "auto".</summary>
    public string DefaultWorkers { get; }

    /// <summary>The stage type's own options (besides the common keys).</summary>
    public IReadOnlyList<OptionSpec> Options => OptionSpec.For(OptionsType);

    /// <summary>What "workers: auto" means for these options: the options' own policy, else one per core.</summary>
    public int AutoWorkers(object options) => options is IAutoWorkers a ? Math.Max(1, a.AutoWorkers) : Environment.ProcessorCount;

    /// <summary>For a fan-out, the most children one item can have under these options (null: unknown).</summary>
    public int? MostChildren(object options) => Shape == StageShape.FanOut && options is IBoundedFanOut b ? b.MostChildren() : null;

    /// <summary>For a pooled stage, how many items may share one resource under these options (1 otherwise).</summary>
    public int ItemsPerResource(object options) => Shape == StageShape.PooledTransform && options is ISharedResources r ? Math.Max(1, r.ItemsPerResource) : 1;

    /// <summary>A new instance, for one run.</summary>
    internal IStageLifecycle Create() => _create();

    /// <summary>The typed adapter the runtime calls the instance through.</summary>
    internal StageInvoker Bind(IStageLifecycle stage) => _bind(stage);
}
