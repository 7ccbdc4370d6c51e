using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace QcPipeline.Core.Jobs;

/// <summary>
/// Reads a job file: YAML syntax, --set overrides, ${VAR} interpolation, then every option bound and
/// checked. All problems are collected and thrown together as <see cref="JobInvalidException"/>.
/// </summary>
public sealed class JobLoader(StageRegistry registry, Func<string, string?>? environment = null)
{
    private readonly Func<string, string?> _env = environment ?? Environment.GetEnvironmentVariable;

    /// <summary>Reads and checks a job file; throws <see cref="JobInvalidException"/> with every problem.</summary>
    public JobDefinition Load(string path, IReadOnlyList<string>? overrides = null)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new JobInvalidException([new Diagnostic(SourceLocation.Of(path), "is a folder, not a job file (name a .yaml file in it)")]);
        if (!File.Exists(full))
            throw new JobInvalidException([new Diagnostic(SourceLocation.Of(path), "no such job file")]);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JobInvalidException([new Diagnostic(SourceLocation.Of(path), $"the job file cannot be read: {e.Message}")]);
        }
        return Parse(bytes, full, overrides);
    }

    /// <summary>Reads and checks a job file's bytes as if they were <paramref name="file"/>: they must be UTF-8.</summary>
    public JobDefinition Parse(byte[] bytes, string file, IReadOnlyList<string>? overrides = null)
    {
        var diags = new DiagnosticBag();
        var text = YamlReader.Decode(bytes, DisplayName(file), diags);
        if (text is null) throw new JobInvalidException(diags.Sorted().ToList());
        return Parse(text, file, overrides);
    }

    // Diagnostics name the file as the user would: relative to the current folder when it is below it.
    private static string DisplayName(string file)
    {
        var display = Path.GetRelativePath(Environment.CurrentDirectory, file);
        return display.StartsWith("..", StringComparison.Ordinal) ? file : display;
    }

    /// <summary>Reads and checks job text as if it were <paramref name="file"/>.</summary>
    public JobDefinition Parse(string yaml, string file, IReadOnlyList<string>? overrides = null)
    {
        var diags = new DiagnosticBag();
        var ctx = new BindContext(DisplayName(file), Path.GetDirectoryName(Path.GetFullPath(file))!, diags);

        var root = YamlReader.ReadJob(yaml, ctx);
        if (root is null) throw new JobInvalidException(diags.Sorted().ToList());

        foreach (var o in overrides ?? []) ApplyOverride(root, o, ctx);
        Interpolation.Apply(root, _env, (node, offset, msg) =>
        {
            diags.Add(ctx.Locate(node).Offset(offset), msg);
            ctx.Unresolved.Add(node);
        });

        var sectionTypes = registry.JobSections.ToList();
        foreach (var added in sectionTypes.Where(s => s.Extends).GroupBy(s => s.Name))
            ctx.KeysBoundElsewhere[OptionSpec.For(typeof(JobOptions)).Single(o => o.Name == added.Key).Type] =
                added.SelectMany(s => OptionSpec.For(s.OptionsType).Select(o => o.Name)).ToList();
        var job = (JobOptions)OptionBinder.Bind(typeof(JobOptions), root, ctx, "the job",
            [.. sectionTypes.Where(s => !s.Extends).Select(s => s.Name), .. JobOptions.SectionKeys]);
        var sections = BindSections(root, sectionTypes, ctx);

        var connections = BindConnections(ValueOf(root, "connections"), ctx);
        ctx.ResolveConnection = (name, type, where) =>
        {
            if (!connections.TryGetValue(name, out var c))
            {
                diags.Add(where, $"no connection named '{name}'{Suggest.DidYouMean(name, connections.Keys)}");
                return null;
            }
            if (c.GetType() != type)
            {
                diags.Add(where, $"connection '{name}' is not of the kind this stage needs");
                return null;
            }
            return c;
        };
        var stages = BindStages(ValueOf(root, "stages"), root, ctx);

        if (diags.HasErrors) throw new JobInvalidException(diags.Sorted().ToList());
        return new JobDefinition
        {
            File = Path.GetFullPath(file), Directory = ctx.BaseDirectory, Options = job,
            Connections = connections, Stages = stages, Locations = ctx.Locations, Sections = sections,
            Document = JobDocument.Write(root),
        };
    }

    /// <summary>--set a.b.c=value: sets (or adds) the value at that path; the value is read as YAML.</summary>
    private static void ApplyOverride(YamlMappingNode root, string assignment, BindContext ctx)
    {
        var label = SourceLocation.Of("--set " + assignment.Split('=')[0]);
        var eq = assignment.IndexOf('=');
        if (eq <= 0) { ctx.Diagnostics.Add(label, "write --set PATH=VALUE, e.g. --set stages.fetch.workers=16"); return; }
        var keys = assignment[..eq].Split('.');
        var valueText = assignment[(eq + 1)..];
        // The value is YAML, like the file: a list is [a, b]. What is not valid YAML is refused, not taken as text.
        if (YamlReader.ReadValue(valueText, out var problem) is not { } value)
        {
            ctx.Diagnostics.Add(label, $"the value '{valueText}' is not valid YAML ({problem}); quote it to mean text, e.g. --set '{assignment[..eq]}=\"{valueText}\"'");
            return;
        }
        foreach (var n in value.AllNodes) ctx.Overrides[n] = label;

        var map = root;
        for (var i = 0; i < keys.Length - 1; i++)
        {
            var next = ValueOf(map, keys[i]);
            if (next is null)
            {
                var made = new YamlMappingNode();
                ctx.Overrides[made] = label;
                map.Children[new YamlScalarNode(keys[i])] = made;
                map = made;
            }
            else if (next is YamlMappingNode m) map = m;
            else { ctx.Diagnostics.Add(label, $"'{string.Join('.', keys[..(i + 1)])}' is not a section"); return; }
        }
        var keyNode = new YamlScalarNode(keys[^1]);
        ctx.Overrides[keyNode] = label;
        map.Children[keyNode] = value;
    }

    // Sections other projects add, bound from the job's mapping as its own sections are (the same messages, the same
    // places); absent, they are their defaults. Keys added to one of the job's sections are not reported unknown here:
    // the job's own section reports them, knowing every key of it.
    private static Dictionary<Type, object> BindSections(YamlMappingNode root, IEnumerable<JobSectionType> types, BindContext ctx)
    {
        var result = new Dictionary<Type, object>();
        foreach (var s in types)
        {
            var where = $"'{s.Name}' in the job";
            var node = ValueOf(root, s.Name);
            object? bound = null;
            if (node is not null && !ctx.Unresolved.Contains(node) && !OptionBinder.IsEmpty(node))
                bound = !s.Extends ? OptionBinder.Convert(s.OptionsType, node, ctx, null, where)
                    : node is YamlMappingNode map ? OptionBinder.Bind(s.OptionsType, map, ctx, where, reportUnknown: false) : null;
            result[s.OptionsType] = bound ?? Activator.CreateInstance(s.OptionsType)!;
        }
        return result;
    }

    private Dictionary<string, object> BindConnections(YamlNode? node, BindContext ctx)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        if (node is null || node is YamlScalarNode { Value: null or "" }) return result;
        if (node is not YamlMappingNode map) { ctx.Error(node, "connections: is a mapping of names to connections"); return result; }
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode { Value: { } name }) { ctx.Error(k, "a connection's name must be plain text"); continue; }
            if (v is not YamlMappingNode body) { ctx.Error(v, $"connection '{name}' must be a mapping with a type"); continue; }
            var typeNode = ValueOf(body, "type") as YamlScalarNode;
            var typeName = typeNode?.Value ?? "";
            var type = registry.FindConnection(typeName);
            if (type is null)
            {
                var kinds = registry.Connections.Select(c => c.Name).ToList();
                ctx.Error((YamlNode?)typeNode ?? body, typeNode is null
                    ? $"connection '{name}' needs a type ({string.Join(", ", kinds)})"
                    : $"unknown connection type '{typeName}'{Suggest.DidYouMean(typeName, kinds)}");
                continue;
            }
            result[name] = OptionBinder.Bind(type, body, ctx, $"connection '{name}'", ["type"]);
        }
        return result;
    }

    private List<StageDefinition> BindStages(YamlNode? node, YamlMappingNode root, BindContext ctx)
    {
        var stages = new List<StageDefinition>();
        if (node is not YamlMappingNode map || map.Children.Count == 0)
        {
            ctx.Error(node ?? root, "a job needs stages: a mapping of stage names to stages");
            return stages;
        }
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode { Value: { } name }) { ctx.Error(k, "a stage's name must be plain text"); continue; }
            if (v is not YamlMappingNode body) { ctx.Error(v, $"stage '{name}' must be a mapping with a type"); continue; }
            var typeNode = ValueOf(body, "type") as YamlScalarNode;
            var descriptor = typeNode?.Value is { } t ? registry.Find(t) : null;
            if (typeNode?.Value is { } unknown && descriptor is null && !ctx.Unresolved.Contains(typeNode))
                ctx.Error(typeNode, $"unknown stage type '{unknown}'{Suggest.DidYouMean(unknown, registry.Stages.Select(s => s.Name))}");
            var where = $"stage '{name}'" + (descriptor is null ? "" : $" ({descriptor.Name})");
            var ownNames = descriptor?.Options.Select(o => o.Name).ToList() ?? [];
            // Without a known type its own keys cannot be checked; report only what is surely wrong.
            var common = (CommonStageOptions)OptionBinder.Bind(typeof(CommonStageOptions), body, ctx, where, ownNames,
                reportUnknown: descriptor is not null);
            if (descriptor is not null && ValueOf(body, "workers") is null) ApplyDefaultWorkers(common, descriptor);
            var options = descriptor is null ? new NoOptions()
                : OptionBinder.Bind(descriptor.OptionsType, body, ctx, where, CommonStageOptions.Names, reportUnknown: false);
            var fromNode = ValueOf(body, "from");
            stages.Add(new StageDefinition
            {
                Name = name, Descriptor = descriptor, Common = common, Options = options,
                Location = ctx.Locate(k), FromLocation = fromNode is null ? ctx.Locate(k) : ctx.Locate(fromNode),
            });
        }
        return stages;
    }

    // A stage type may default to more than one worker (or "auto"), e.g. a pooled fetch; the job's own
    // `workers:` wins. The option is init-only, so it is set through its declaration like the binder does.
    private static void ApplyDefaultWorkers(CommonStageOptions common, StageDescriptor descriptor)
    {
        var text = descriptor.DefaultWorkers;
        Workers? workers = text == "auto" ? Workers.Auto
            : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1 ? new Workers(n)
            : null;
        if (workers is { } w && w != common.Workers)
            OptionSpec.For(typeof(CommonStageOptions)).Single(s => s.Name == "workers").Property.SetValue(common, w);
    }

    private static YamlNode? ValueOf(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
}
