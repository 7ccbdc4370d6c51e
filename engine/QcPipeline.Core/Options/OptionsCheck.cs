using QcPipeline.Core.Jobs;
using YamlDotNet.RepresentationModel;

namespace QcPipeline.Core.Options;

/// <summary>
/// Options classes that check what single options cannot: values that depend on each other, text with a
/// syntax of its own, files they name. The binder calls <see cref="Validate"/> after binding the section (a
/// value it refused reads as not set, so there are no follow-on errors); each problem is reported at the YAML
/// position of the key it is about.
/// </summary>
public interface IValidatedOptions
{
    /// <summary>Reports every problem of these options through <paramref name="check"/>.</summary>
    void Validate(OptionsCheck check);
}

/// <summary>What a validation hook reports through: problems at the place of a key, and where paths start.</summary>
public sealed class OptionsCheck
{
    private readonly BindContext _ctx;
    private readonly YamlMappingNode _map;
    private readonly IReadOnlySet<string> _bound;

    internal OptionsCheck(BindContext ctx, YamlMappingNode map, string where, IReadOnlySet<string> bound)
    {
        _ctx = ctx; _map = map; Where = where; _bound = bound;
    }

    /// <summary>The section's name in messages, e.g. "stage 'fetch' (family.fetch)".</summary>
    public string Where { get; }

    /// <summary>The job file's folder (relative paths start here).</summary>
    public string BaseDirectory => _ctx.BaseDirectory;

    /// <summary>True when the YAML gives <paramref name="key"/> a value that was accepted (not only its default).</summary>
    public bool IsSet(string key) => _bound.Contains(key);

    /// <summary>Where the value of <paramref name="key"/> is written (or the section, when it is not).</summary>
    public SourceLocation Locate(string key) => _ctx.Locate(ValueOf(key) ?? _map);

    /// <summary>A problem with the value of <paramref name="key"/>: the message is printed as given, at that value.</summary>
    public void Error(string key, string message) => _ctx.Diagnostics.Add(Locate(key), message);

    /// <summary>A problem with the section as a whole.</summary>
    public void Error(string message) => _ctx.Diagnostics.Add(_ctx.Locate(_map), message);

    private YamlNode? ValueOf(string key) =>
        _map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
}

/// <summary>Where each bound option was written, for problems found after binding (e.g. by the compiler).</summary>
public sealed class OptionLocations
{
    private readonly Dictionary<object, (SourceLocation Section, Dictionary<string, SourceLocation> Keys)> _sections =
        new(ReferenceEqualityComparer.Instance);

    internal void Record(object section, SourceLocation where, Dictionary<string, SourceLocation> keys) => _sections[section] = (where, keys);

    /// <summary>The place of a key of a bound section; a dotted path ("retry.max_backoff") walks into nested
    /// sections. Falls back to the nearest place known, else <paramref name="fallback"/>.</summary>
    public SourceLocation Of(object section, string path, SourceLocation fallback)
    {
        var dot = path.IndexOf('.');
        var key = dot < 0 ? path : path[..dot];
        if (!_sections.TryGetValue(section, out var s)) return fallback;
        var here = s.Keys.TryGetValue(key, out var k) ? k : s.Section;
        if (dot < 0) return here;
        var spec = OptionSpec.For(section.GetType()).FirstOrDefault(o => o.Name == key);
        return spec?.Property.GetValue(section) is { } child ? Of(child, path[(dot + 1)..], here) : here;
    }
}
