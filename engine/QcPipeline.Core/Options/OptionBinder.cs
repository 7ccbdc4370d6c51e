using System.Globalization;
using QcPipeline.Core.Jobs;
using YamlDotNet.RepresentationModel;

namespace QcPipeline.Core.Options;

/// <summary>What binding needs from its surroundings: where nodes are, where relative paths start.</summary>
public sealed class BindContext(string file, string baseDirectory, DiagnosticBag diagnostics)
{
    /// <summary>The file name diagnostics show.</summary>
    public string File { get; } = file;
    /// <summary>Where relative paths start.</summary>
    public string BaseDirectory { get; } = baseDirectory;
    /// <summary>Where problems go.</summary>
    public DiagnosticBag Diagnostics { get; } = diagnostics;

    /// <summary>Nodes made by --set have no file position; they are named by their override instead.</summary>
    public Dictionary<YamlNode, SourceLocation> Overrides { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Resolves a named connection (see <see cref="ConnectionTypeAttribute"/>); null if unknown.</summary>
    public Func<string, Type, SourceLocation, object?>? ResolveConnection { get; set; }

    /// <summary>Where a node was written (or which --set made it).</summary>
    public SourceLocation Locate(YamlNode node) =>
        Overrides.TryGetValue(node, out var loc) ? loc : SourceLocation.At(File, node.Start);

    /// <summary>A problem at a node.</summary>
    public void Error(YamlNode node, string message) => Diagnostics.Add(Locate(node), message);

    /// <summary>Values whose ${VAR} could not be expanded: already reported, so not checked again (no follow-on errors).</summary>
    internal HashSet<YamlNode> Unresolved { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Where each bound section's keys were written.</summary>
    public OptionLocations Locations { get; } = new();

    /// <summary>Keys of a section class that other options classes bind from the same mapping (keys another project
    /// adds to one of the job's sections): neither bound nor reported by that class.</summary>
    internal Dictionary<Type, IReadOnlyCollection<string>> KeysBoundElsewhere { get; } = [];
}

/// <summary>Marks an options class as a connection type, so a stage option of that class may name a connection.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ConnectionTypeAttribute(string name, string doc) : Attribute
{
    /// <summary>The type name in YAML.</summary>
    public string Name { get; } = name;
    /// <summary>What it connects to.</summary>
    public string Doc { get; } = doc;
}

/// <summary>
/// Turns YAML mappings into option objects, reporting every unknown key, wrong type and
/// out-of-range value with its position. Unset options keep their declared defaults.
/// </summary>
public static class OptionBinder
{
    /// <summary>Binds <paramref name="map"/> to a new <paramref name="sectionType"/>; keys in
    /// <paramref name="reserved"/> belong to someone else and are neither bound nor reported.</summary>
    public static object Bind(Type sectionType, YamlMappingNode map, BindContext ctx, string where,
        IReadOnlyCollection<string>? reserved = null, bool reportUnknown = true)
    {
        var target = Activator.CreateInstance(sectionType)!;
        var specs = OptionSpec.For(sectionType);
        if (ctx.KeysBoundElsewhere.TryGetValue(sectionType, out var elsewhere)) reserved = [.. reserved ?? [], .. elsewhere];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var keys = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        var bound = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (reserved is not null && reserved.Contains(key)) continue;
            var spec = specs.FirstOrDefault(s => s.Name == key);
            if (spec is null)
            {
                if (!reportUnknown) continue;
                var names = specs.Select(s => s.Name).Concat(reserved ?? []);
                ctx.Error(keyNode, $"unknown key '{key}' in {where}{Suggest.DidYouMean(key, names)}");
                continue;
            }
            if (!seen.Add(key)) { ctx.Error(keyNode, $"'{key}' is given twice in {where}"); continue; }
            keys[key] = ctx.Locate(valueNode);
            if (ctx.Unresolved.Contains(valueNode)) continue;
            if (IsEmpty(valueNode))
            {
                if (spec.Required) ctx.Error(valueNode, $"'{key}' in {where} needs a value");
                continue;
            }
            var value = Convert(spec.Type, valueNode, ctx, spec, $"'{key}' in {where}");
            if (value is null) continue;
            spec.Property.SetValue(target, value);
            bound.Add(key);
        }
        foreach (var spec in specs.Where(s => s.Required && !seen.Contains(s.Name)))
            ctx.Diagnostics.Add(ctx.Locate(map), $"{where} needs '{spec.Name}' ({spec.Doc})");
        ctx.Locations.Record(target, ctx.Locate(map), keys);
        // Cross-field checks see a refused value as not given (no follow-on errors).
        if (target is IValidatedOptions validated) validated.Validate(new OptionsCheck(ctx, map, where, bound));
        return target;
    }

    /// <summary>Binds <paramref name="map"/> to a new <typeparamref name="T"/>.</summary>
    public static T Bind<T>(YamlMappingNode map, BindContext ctx, string where) where T : class =>
        (T)Bind(typeof(T), map, ctx, where);

    internal static bool IsEmpty(YamlNode node) =>
        node is YamlScalarNode { Value: null or "" or "~" } s && s.Style == YamlDotNet.Core.ScalarStyle.Plain;

    /// <summary>Converts one value; on a problem reports it and returns null.</summary>
    public static object? Convert(Type type, YamlNode node, BindContext ctx, OptionSpec? spec, string what)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (OptionSpec.ListElement(type) is { } element)
        {
            var items = node is YamlSequenceNode seq ? seq.Children.ToList() : [node]; // a lone value is a one-item list
            var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            foreach (var item in items)
            {
                var v = Convert(element, item, ctx, spec, what);
                if (v is not null) list.Add(v);
            }
            if (!type.IsArray) return list;
            var array = Array.CreateInstance(element, list.Count);
            list.CopyTo(array, 0);
            return array;
        }
        if (type.GetCustomAttributes(typeof(ConnectionTypeAttribute), false).FirstOrDefault() is ConnectionTypeAttribute conn
            && node is YamlScalarNode { Value: { } connName })
        {
            if (ctx.ResolveConnection?.Invoke(connName, type, ctx.Locate(node)) is { } resolved) return resolved;
            return null; // the resolver reported why
        }
        if (OptionSpec.IsSection(type))
        {
            if (node is YamlMappingNode m) return Bind(type, m, ctx, what);
            ctx.Error(node, $"{what} must be a mapping of options, not {Describe(node)}");
            return null;
        }
        if (node is not YamlScalarNode scalar)
        {
            ctx.Error(node, $"{what} must be {Article(OptionSpec.TypeName(type))}, not {Describe(node)}");
            return null;
        }
        var text = scalar.Value ?? "";
        object? result = ConvertScalar(type, text, ctx.BaseDirectory, spec, out var problem);
        if (problem is not null) { ctx.Error(node, $"{what}: {problem}"); return null; }
        return result;
    }

    private static object? ConvertScalar(Type type, string text, string baseDir, OptionSpec? spec, out string? problem)
    {
        problem = null;
        var attr = spec?.Attribute;
        if (type == typeof(string))
        {
            if (attr?.Allowed is { } allowed && !allowed.Contains(text))
            {
                problem = $"'{text}' is not one of {string.Join(", ", allowed)}{Suggest.DidYouMean(text, allowed)}";
                return null;
            }
            if (attr?.IsPath == true && text.Length > 0) return ResolvePath(text, baseDir);
            return text;
        }
        if (type == typeof(int) || type == typeof(long) || type == typeof(double))
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                || (type != typeof(double) && d != Math.Floor(d)))
            {
                problem = $"'{text}' is not {Article(OptionSpec.TypeName(type))}";
                return null;
            }
            if (attr is not null && ((!double.IsNaN(attr.Min) && d < attr.Min) || (!double.IsNaN(attr.Max) && d > attr.Max)))
            {
                problem = $"{text} is out of range ({spec!.RangeText})";
                return null;
            }
            return type == typeof(int) ? (object)(int)d : type == typeof(long) ? (long)d : d;
        }
        if (type == typeof(bool))
        {
            switch (text.ToLowerInvariant())
            {
                case "true" or "yes" or "on": return true;
                case "false" or "no" or "off": return false;
                default: problem = $"'{text}' is not true or false"; return null;
            }
        }
        if (type == typeof(TimeSpan))
        {
            if (!Duration.TryParse(text, out var t))
            {
                problem = $"'{text}' is not a duration (like 500ms, 30s, 5m)";
                return null;
            }
            var (lo, hi) = spec?.DurationRange ?? (TimeSpan.Zero, Duration.Longest);
            if (t < lo || t > hi)
            {
                problem = $"{text} is out of range ({spec?.RangeText ?? $"<= {Duration.Format(hi)}"})";
                return null;
            }
            return t;
        }
        if (type == typeof(Workers))
        {
            if (text == "auto") return Workers.Auto;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= 256)
                return new Workers(n);
            problem = $"'{text}' is not a number of workers (1..256) or auto";
            return null;
        }
        if (type == typeof(Secret))
        {
            var s = Secret.Resolve(text, baseDir, out var error);
            problem = error;
            return s;
        }
        if (type.IsEnum)
        {
            foreach (var name in Enum.GetNames(type))
                if (OptionSpec.SnakeCase(name) == text) return Enum.Parse(type, name);
            var names = Enum.GetNames(type).Select(OptionSpec.SnakeCase).ToArray();
            problem = $"'{text}' is not one of {string.Join(", ", names)}{Suggest.DidYouMean(text, names)}";
            return null;
        }
        problem = $"options of type {type.Name} cannot be read from text";
        return null;
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "this",
    };

    /// <summary>A path option's value as an absolute path: "~" and "~/…" are the user's home folder (as a shell
    /// would have it); other relative paths start at the job file's folder.</summary>
    public static string ResolvePath(string text, string baseDir)
    {
        if (text == "~" || text.StartsWith("~/", StringComparison.Ordinal))
            return Path.GetFullPath(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), text.Length > 2 ? text[2..] : "."));
        return Path.GetFullPath(Path.Combine(baseDir, text));
    }

    private static string Article(string noun) => noun.StartsWith("one of", StringComparison.Ordinal) ? noun
        : ("aeiou".Contains(noun[0]) ? "an " : "a ") + noun;
}

/// <summary>"did you mean" for misspelt names.</summary>
public static class Suggest
{
    /// <summary>" (did you mean 'x'?)" for the nearest candidate, or empty.</summary>
    public static string DidYouMean(string given, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (c, d: Distance(given, c))).OrderBy(x => x.d).FirstOrDefault();
        return best.c is not null && best.d <= Math.Max(2, given.Length / 3) && best.d > 0 ? $" (did you mean '{best.c}'?)" : "";
    }

    /// <summary>Levenshtein distance.</summary>
    public static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
