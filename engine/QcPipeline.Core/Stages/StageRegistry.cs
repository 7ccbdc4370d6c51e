using System.Reflection;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using QcPipeline.Core.Runtime;

namespace QcPipeline.Core.Stages;

/// <summary>
/// The stage and connection types a run may use, and the job sections other projects add. The engine knows none
/// itself: each family registers its types explicitly (one small file per family, e.g. FilesFamily.Register), naming
/// each stage's shape and item types, which the compiler checks against the class.
/// </summary>
public sealed class StageRegistry
{
    private readonly Dictionary<string, StageDescriptor> _stages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Type Type, ConnectionTypeAttribute Attr)> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, WireType> _wire = [];
    private readonly List<JobSectionType> _sections = [];

    /// <summary>Every stage type, by name.</summary>
    public IEnumerable<StageDescriptor> Stages => _stages.Values.OrderBy(s => s.Name, StringComparer.Ordinal);

    /// <summary>Every connection type, by name.</summary>
    public IEnumerable<(string Name, Type OptionsType, string Doc)> Connections =>
        _connections.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, c.Value.Type, c.Value.Attr.Doc));

    /// <summary>Item types that may cross between machines, by their CLR type.</summary>
    public IReadOnlyDictionary<Type, WireType> WireTypes => _wire;

    /// <summary>The job sections and section keys other projects added, by name (see <see cref="JobSectionType"/>).</summary>
    public IEnumerable<JobSectionType> JobSections => _sections.OrderBy(s => s.Name, StringComparer.Ordinal);

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

    /// <summary>Registers a job-level section of its own: its key in the job file and the options class it binds to
    /// (declared once with [Option], so validation, schema and reference follow). Absent from a job, it binds to its
    /// defaults.</summary>
    public StageRegistry JobSection<TOptions>(string name, string doc) where TOptions : class, new()
    {
        if (OptionSpec.For(typeof(JobOptions)).Any(o => o.Name == name) || JobOptions.SectionKeys.Contains(name))
            throw new InvalidOperationException($"job section '{name}' clashes with a key of the job itself");
        return AddSection(new JobSectionType(name, typeof(TOptions), doc, Extends: false));
    }

    /// <summary>Registers further keys of one of the job's own sections (<paramref name="section"/>, e.g. telemetry):
    /// bound from the same mapping as the engine's keys there, and shown beside them.</summary>
    public StageRegistry ExtendJobSection<TOptions>(string section) where TOptions : class, new()
    {
        var own = OptionSpec.For(typeof(JobOptions)).FirstOrDefault(o => o.Name == section && OptionSpec.IsSection(o.Type))
            ?? throw new InvalidOperationException($"the job has no section '{section}' to add keys to");
        var taken = OptionSpec.For(own.Type).Select(o => o.Name)
            .Concat(_sections.Where(s => s.Extends && s.Name == section && s.OptionsType != typeof(TOptions)).SelectMany(s => OptionSpec.For(s.OptionsType).Select(o => o.Name)));
        var clash = OptionSpec.For(typeof(TOptions)).Select(o => o.Name).Intersect(taken).ToList();
        if (clash.Count > 0)
            throw new InvalidOperationException($"{typeof(TOptions).Name} redeclares key(s) {string.Join(", ", clash)} of the job's {section}: section");
        return AddSection(new JobSectionType(section, typeof(TOptions), own.Doc, Extends: true));
    }

    private StageRegistry AddSection(JobSectionType section)
    {
        if (!OptionSpec.IsSection(section.OptionsType))
            throw new InvalidOperationException($"{section.OptionsType.Name} declares no options for the job's {section.Name}: section");
        if (_sections.Any(s => s.OptionsType == section.OptionsType)) return this; // registered before: once is enough
        if (!section.Extends && _sections.FirstOrDefault(s => s.Name == section.Name) is { } other)
            throw new InvalidOperationException($"job section '{section.Name}' is registered twice ({other.OptionsType.Name}, {section.OptionsType.Name})");
        _sections.Add(section);
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
