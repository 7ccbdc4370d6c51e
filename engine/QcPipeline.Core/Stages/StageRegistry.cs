using System.Reflection;
using QcPipeline.Core.Options;

namespace QcPipeline.Core.Stages;

/// <summary>How a stage moves items.</summary>
public enum StageShape { Source, Transform, PooledTransform, FanOut, Join, Sink }

/// <summary>One registered stage type: its name, shape, item types and options class.</summary>
public sealed class StageDescriptor
{
    internal StageDescriptor(Type stageClass, StageAttribute attr, StageShape shape, Type? input, Type? output, Type options)
    {
        StageClass = stageClass; Name = attr.Type; Summary = attr.Summary; Shape = shape;
        InputType = input; OutputType = output; OptionsType = options; DefaultWorkers = attr.DefaultWorkers;
    }

    public Type StageClass { get; }
    public string Name { get; }
    public string Summary { get; }
    public StageShape Shape { get; }

    /// <summary>The item type the stage reads (null for sources).</summary>
    public Type? InputType { get; }

    /// <summary>The item type the stage writes (null for sinks).</summary>
    public Type? OutputType { get; }

    public Type OptionsType { get; }
    public string DefaultWorkers { get; }
    public IReadOnlyList<OptionSpec> Options => OptionSpec.For(OptionsType);

    public IStageLifecycle Create() => (IStageLifecycle)Activator.CreateInstance(StageClass)!;
}

/// <summary>
/// The stage and connection types a run may use. The engine knows none itself: each stage family
/// registers its assembly (see the CLI's catalogue).
/// </summary>
public sealed class StageRegistry
{
    private readonly Dictionary<string, StageDescriptor> _stages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Type Type, ConnectionTypeAttribute Attr)> _connections = new(StringComparer.Ordinal);

    public IEnumerable<StageDescriptor> Stages => _stages.Values.OrderBy(s => s.Name, StringComparer.Ordinal);
    public IEnumerable<(string Name, Type OptionsType, string Doc)> Connections =>
        _connections.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, c.Value.Type, c.Value.Attr.Doc));

    public StageDescriptor? Find(string type) => _stages.GetValueOrDefault(type);
    public Type? FindConnection(string type) => _connections.TryGetValue(type, out var c) ? c.Type : null;

    /// <summary>Registers every [Stage] class and [ConnectionType] options class of an assembly.</summary>
    public StageRegistry Add(Assembly assembly)
    {
        foreach (var t in assembly.GetTypes().Where(t => !t.IsAbstract))
        {
            if (t.GetCustomAttribute<ConnectionTypeAttribute>() is { } conn) _connections[conn.Name] = (t, conn);
            if (t.GetCustomAttribute<StageAttribute>() is { } attr) Add(t, attr);
        }
        return this;
    }

    public StageRegistry Add(Type stageClass) =>
        Add(stageClass, stageClass.GetCustomAttribute<StageAttribute>()
            ?? throw new ArgumentException($"{stageClass.Name} has no [Stage] attribute"));

    private StageRegistry Add(Type stageClass, StageAttribute attr)
    {
        var (shape, input, output, options) = Classify(stageClass);
        var clash = OptionSpec.For(options).Select(o => o.Name).Intersect(CommonStageOptions.Names).ToList();
        if (clash.Count > 0)
            throw new InvalidOperationException($"stage type {attr.Type} redeclares common option(s) {string.Join(", ", clash)}");
        _stages[attr.Type] = new StageDescriptor(stageClass, attr, shape, input, output, options);
        return this;
    }

    private static (StageShape, Type?, Type?, Type) Classify(Type t)
    {
        for (var b = t.BaseType; b is not null; b = b.BaseType)
        {
            if (!b.IsGenericType) continue;
            var def = b.GetGenericTypeDefinition();
            var a = b.GetGenericArguments();
            if (def == typeof(SourceStage<,>)) return (StageShape.Source, null, a[0], a[1]);
            if (def == typeof(TransformStage<,,>)) return (StageShape.Transform, a[0], a[1], a[2]);
            if (def == typeof(PooledTransformStage<,,,>)) return (StageShape.PooledTransform, a[0], a[1], a[2]);
            if (def == typeof(FanOutStage<,,>)) return (StageShape.FanOut, a[0], a[1], a[2]);
            if (def == typeof(JoinStage<,,>)) return (StageShape.Join, a[0], a[1], a[2]);
            if (def == typeof(SinkStage<,>)) return (StageShape.Sink, a[0], null, a[1]);
        }
        throw new ArgumentException($"{t.Name} does not derive from a stage shape (SourceStage, TransformStage, …)");
    }
}
