using System.Reflection;
using QcPipeline.Core.Options;
using QcPipeline.Core.Runtime;

namespace QcPipeline.Core.Stages;

/// <summary>
/// The stage and connection types a run may use. The engine knows none itself: each family registers its
/// types explicitly (one small file per family, e.g. FilesFamily.Register), naming each stage's shape and
/// item types, which the compiler checks against the class.
/// </summary>
public sealed class StageRegistry
{
    private readonly Dictionary<string, StageDescriptor> _stages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Type Type, ConnectionTypeAttribute Attr)> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, WireType> _wire = [];

    /// <summary>Every stage type, by name.</summary>
    public IEnumerable<StageDescriptor> Stages => _stages.Values.OrderBy(s => s.Name, StringComparer.Ordinal);

    /// <summary>Every connection type, by name.</summary>
    public IEnumerable<(string Name, Type OptionsType, string Doc)> Connections =>
        _connections.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, c.Value.Type, c.Value.Attr.Doc));

    /// <summary>Item types that may cross between machines, by their CLR type.</summary>
    public IReadOnlyDictionary<Type, WireType> WireTypes => _wire;

    /// <summary>The stage type of this name, or null.</summary>
    public StageDescriptor? Find(string type) => _stages.GetValueOrDefault(type);

    /// <summary>The options class of this connection type, or null.</summary>
    public Type? FindConnection(string type) => _connections.TryGetValue(type, out var c) ? c.Type : null;

    /// <summary>Registers a source.</summary>
    public StageRegistry Source<TStage, TOut, TOptions>()
        where TStage : SourceStage<TOut, TOptions>, new() where TOut : IItem where TOptions : class, new() =>
        Add(new StageDescriptor(typeof(TStage), StageShape.Source, null, typeof(TOut), typeof(TOptions),
            static () => new TStage(), static s => new SourceInvoker<TOut, TOptions>((TStage)s)));

    /// <summary>Registers a one-to-one stage.</summary>
    public StageRegistry Transform<TStage, TIn, TOut, TOptions>()
        where TStage : TransformStage<TIn, TOut, TOptions>, new() where TIn : IItem where TOut : IItem where TOptions : class, new() =>
        Add(new StageDescriptor(typeof(TStage), StageShape.Transform, typeof(TIn), typeof(TOut), typeof(TOptions),
            static () => new TStage(), static s => new TransformInvoker<TIn, TOut, TOptions>((TStage)s)));

    /// <summary>Registers a one-to-one stage with a pooled per-worker resource.</summary>
    public StageRegistry Pooled<TStage, TIn, TOut, TOptions, TResource>()
        where TStage : PooledTransformStage<TIn, TOut, TOptions, TResource>, new()
        where TIn : IItem where TOut : IItem where TOptions : class, new() where TResource : class, IDisposable =>
        Add(new StageDescriptor(typeof(TStage), StageShape.PooledTransform, typeof(TIn), typeof(TOut), typeof(TOptions),
            static () => new TStage(), static s => new PooledInvoker<TIn, TOut, TOptions, TResource>((TStage)s)));

    /// <summary>Registers a fan-out.</summary>
    public StageRegistry FanOut<TStage, TIn, TOut, TOptions>()
        where TStage : FanOutStage<TIn, TOut, TOptions>, new() where TIn : IItem where TOut : IItem where TOptions : class, new() =>
        Add(new StageDescriptor(typeof(TStage), StageShape.FanOut, typeof(TIn), typeof(TOut), typeof(TOptions),
            static () => new TStage(), static s => new FanOutInvoker<TIn, TOut, TOptions>((TStage)s)));

    /// <summary>Registers a join.</summary>
    public StageRegistry Join<TStage, TIn, TOut, TOptions>()
        where TStage : JoinStage<TIn, TOut, TOptions>, new() where TIn : IItem where TOut : IItem where TOptions : class, new() =>
        Add(new StageDescriptor(typeof(TStage), StageShape.Join, typeof(TIn), typeof(TOut), typeof(TOptions),
            static () => new TStage(), static s => new JoinInvoker<TIn, TOut, TOptions>((TStage)s)));

    /// <summary>Registers a sink.</summary>
    public StageRegistry Sink<TStage, TIn, TOptions>()
        where TStage : SinkStage<TIn, TOptions>, new() where TIn : IItem where TOptions : class, new() =>
        Add(new StageDescriptor(typeof(TStage), StageShape.Sink, typeof(TIn), null, typeof(TOptions),
            static () => new TStage(), static s => new SinkInvoker<TIn, TOptions>((TStage)s)));

    /// <summary>Registers a connection type (an options class with <see cref="ConnectionTypeAttribute"/>).</summary>
    public StageRegistry Connection<TOptions>() where TOptions : class, new()
    {
        var attr = typeof(TOptions).GetCustomAttribute<ConnectionTypeAttribute>()
            ?? throw new ArgumentException($"{typeof(TOptions).Name} has no [ConnectionType] attribute");
        _connections[attr.Name] = (typeof(TOptions), attr);
        return this;
    }

    /// <summary>Registers an item type that may be sent to another machine as JSON, under a stable name (see
    /// <see cref="WireType"/>): with System.Text.Json's rules for its public properties, or its own converter.</summary>
    public StageRegistry WireItem<TItem>(string name, System.Text.Json.Serialization.JsonConverter<TItem>? converter = null) where TItem : IItem
    {
        var wire = WireType.For(name, converter);
        if (_wire.TryGetValue(typeof(TItem), out var other) && other.Name != name)
            throw new InvalidOperationException($"item type {typeof(TItem).Name} is registered as '{other.Name}' and '{name}'");
        if (_wire.Values.FirstOrDefault(w => w.Name == name && w.Type != typeof(TItem)) is { } clash)
            throw new InvalidOperationException($"wire name '{name}' is taken by {clash.Type.Name}");
        _wire[typeof(TItem)] = wire;
        return this;
    }

    private StageRegistry Add(StageDescriptor d)
    {
        var clash = d.Options.Select(o => o.Name).Intersect(CommonStageOptions.Names).ToList();
        if (clash.Count > 0)
            throw new InvalidOperationException($"stage type {d.Name} redeclares common option(s) {string.Join(", ", clash)}");
        if (_stages.TryGetValue(d.Name, out var other) && other.StageClass != d.StageClass)
            throw new InvalidOperationException($"stage type {d.Name} is registered twice ({other.StageClass.Name}, {d.StageClass.Name})");
        _stages[d.Name] = d;
        return this;
    }
}
