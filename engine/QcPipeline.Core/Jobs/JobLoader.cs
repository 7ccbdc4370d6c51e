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

    public JobDefinition Load(string path, IReadOnlyList<string>? overrides = null)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new JobInvalidException([new Diagnostic(SourceLocation.Of(path), "no such job file")]);
        return Parse(File.ReadAllText(full), full, overrides);
    }

    public JobDefinition Parse(string yaml, string file, IReadOnlyList<string>? overrides = null)
    {
        var diags = new DiagnosticBag();
        var display = Path.GetRelativePath(Environment.CurrentDirectory, file);
        if (display.StartsWith("..", StringComparison.Ordinal)) display = file;
        var ctx = new BindContext(display, Path.GetDirectoryName(Path.GetFullPath(file))!, diags);

        var root = ReadYaml(yaml, ctx);
        if (root is null) throw new JobInvalidException(diags.Sorted().ToList());

        foreach (var o in overrides ?? []) ApplyOverride(root, o, ctx);
        Interpolation.Apply(root, _env, (node, offset, msg) =>
        {
            diags.Add(ctx.Locate(node).Offset(offset), msg);
            ctx.Unresolved.Add(node);
        });

        var job = (JobOptions)OptionBinder.Bind(typeof(JobOptions), root, ctx, "the job",
            [.. JobOptions.SectionKeys, .. registry.Sections.Select(s => s.Name)]);
        var sections = BindSections(root, ctx);

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

    private static YamlMappingNode? ReadYaml(string yaml, BindContext ctx)
    {
        var stream = new YamlStream();
        var parser = new TrackingParser(new Parser(new StringReader(yaml)));
        try { stream.Load(parser); }
        catch (YamlException e)
        {
            var msg = FirstLine(e.InnerException is YamlException inner ? inner.Message : e.Message);
            // YamlDotNet places some errors poorly: a tab in the indentation at the mapping's start, an unclosed
            // [ or { at the end of the file. Point at the tab, or at the bracket left open.
            var where = SourceLocation.At(ctx.File, e.Start);
            if (msg.Contains("tab", StringComparison.Ordinal) && FirstIndentTab(yaml) is var (line, col)) where = new SourceLocation(ctx.File, line, col);
            else if (msg.StartsWith("While parsing a flow", StringComparison.Ordinal) && parser.OpenFlow is { } open) where = SourceLocation.At(ctx.File, open);
            ctx.Diagnostics.Add(where, "YAML: " + msg);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner throws these (with no position) on some malformed input, e.g. a flow
            // mapping left open before the next line; report where parsing last succeeded.
            ctx.Diagnostics.Add(SourceLocation.At(ctx.File, parser.OpenFlow ?? parser.LastGood), parser.OpenFlow is null
                ? "YAML: cannot be read after this point (is a quote left open?)"
                : "YAML: this { } or [ ] is not closed, or holds something that cannot be read");
            return null;
        }
        if (stream.Documents.Count == 0)
        {
            ctx.Diagnostics.Add(new SourceLocation(ctx.File, 1, 1), "the job file is empty");
            return null;
        }
        if (stream.Documents.Count > 1)
            ctx.Diagnostics.Add(SourceLocation.At(ctx.File, stream.Documents[1].RootNode.Start), "a job file holds one YAML document");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            ctx.Error(stream.Documents[0].RootNode, "a job is a mapping with job:, connections: and stages:");
            return null;
        }
        return root;
    }

    /// <summary>Remembers where the last YAML event ended, to locate errors that YamlDotNet throws without a position.</summary>
    private sealed class TrackingParser(IParser inner) : IParser
    {
        public Mark LastGood { get; private set; } = new(0, 1, 1);
        public YamlDotNet.Core.Events.ParsingEvent? Current => inner.Current;

        private readonly Stack<(Mark Start, bool Flow)> _open = new();

        /// <summary>Where the innermost collection written in flow style ({ } or [ ]) that is still open begins.</summary>
        public Mark? OpenFlow => _open.Count > 0 && _open.Peek().Flow ? _open.Peek().Start : null;

        public bool MoveNext()
        {
            var more = inner.MoveNext();
            switch (inner.Current)
            {
                case YamlDotNet.Core.Events.MappingStart m: _open.Push((m.Start, m.Style == YamlDotNet.Core.Events.MappingStyle.Flow)); break;
                case YamlDotNet.Core.Events.SequenceStart q: _open.Push((q.Start, q.Style == YamlDotNet.Core.Events.SequenceStyle.Flow)); break;
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd when _open.Count > 0: _open.Pop(); break;
            }
            if (inner.Current is { } e) LastGood = e.End;
            return more;
        }
    }

    private static (int Line, int Column)? FirstIndentTab(string yaml)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t');
            if (tab >= 0 && tab < indent) return (i + 1, tab + 1);
        }
        return null;
    }

    private static string FirstLine(string s)
    {
        var i = s.IndexOfAny(['\r', '\n']);
        var line = i < 0 ? s : s[..i];
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (…): "; the location is printed already.
        var cut = line.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? line[(cut + 3)..] : line;
    }

    /// <summary>--set a.b.c=value: sets (or adds) the value at that path; the value is read as YAML.</summary>
    private static void ApplyOverride(YamlMappingNode root, string assignment, BindContext ctx)
    {
        var label = SourceLocation.Of("--set " + assignment.Split('=')[0]);
        var eq = assignment.IndexOf('=');
        if (eq <= 0) { ctx.Diagnostics.Add(label, "write --set PATH=VALUE, e.g. --set stages.fetch.workers=16"); return; }
        var keys = assignment[..eq].Split('.');
        var valueText = assignment[(eq + 1)..];
        YamlNode value;
        try
        {
            var s = new YamlStream();
            s.Load(new StringReader("v: " + valueText));
            value = ((YamlMappingNode)s.Documents[0].RootNode).Children[new YamlScalarNode("v")];
        }
        catch (YamlException) { value = new YamlScalarNode(valueText); }
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

    // Sections other projects add (cluster:): bound like the job's own keys; absent, they are their defaults.
    private Dictionary<string, object> BindSections(YamlMappingNode root, BindContext ctx)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, type, _) in registry.Sections)
        {
            var node = ValueOf(root, name);
            if (node is YamlMappingNode map) result[name] = OptionBinder.Bind(type, map, ctx, $"{name}:");
            else
            {
                if (node is not null and not YamlScalarNode { Value: null or "" or "~" }) ctx.Error(node, $"{name}: is a mapping of options");
                result[name] = Activator.CreateInstance(type)!;
            }
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
            var name = ((YamlScalarNode)k).Value ?? "";
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
            var name = ((YamlScalarNode)k).Value ?? "";
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
