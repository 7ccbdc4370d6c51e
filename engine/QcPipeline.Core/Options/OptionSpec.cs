using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace QcPipeline.Core.Options;

/// <summary>
/// One declared option, read by reflection from a property with <see cref="OptionAttribute"/>.
/// Everything that describes options (binder, schema, docs) works from these.
/// </summary>
public sealed class OptionSpec
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyList<OptionSpec>> Cache = new();

    private OptionSpec(PropertyInfo property, OptionAttribute attr, object? defaultValue)
    {
        Property = property;
        Attribute = attr;
        Name = attr.Name ?? SnakeCase(property.Name);
        Default = defaultValue;
    }

    /// <summary>The property that holds it.</summary>
    public PropertyInfo Property { get; }
    /// <summary>Its declaration.</summary>
    public OptionAttribute Attribute { get; }
    /// <summary>Its YAML name.</summary>
    public string Name { get; }
    /// <summary>Its type.</summary>
    public Type Type => Property.PropertyType;
    /// <summary>Its default value.</summary>
    public object? Default { get; }
    /// <summary>What it does.</summary>
    public string Doc => Attribute.Doc;
    /// <summary>True when the job must give it.</summary>
    public bool Required => Attribute.Required;

    /// <summary>The declared options of a section class, in declaration order.</summary>
    public static IReadOnlyList<OptionSpec> For(Type sectionType) => Cache.GetOrAdd(sectionType, t =>
    {
        var sample = Activator.CreateInstance(t)
            ?? throw new InvalidOperationException($"{t.Name} needs a parameterless constructor");
        return t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (p, a: p.GetCustomAttribute<OptionAttribute>()))
            .Where(x => x.a is not null)
            .OrderBy(x => x.p.MetadataToken)
            .Select(x => new OptionSpec(x.p, x.a!, x.p.GetValue(sample)))
            .ToList();
    });

    /// <summary>True for classes whose properties are options (nested sections).</summary>
    public static bool IsSection(Type t) =>
        t.IsClass && t != typeof(string) && t != typeof(Secret) &&
        t.GetProperties().Any(p => p.GetCustomAttribute<OptionAttribute>() is not null);

    /// <summary>The element type of a list option, or null.</summary>
    public static Type? ListElement(Type t) =>
        t.IsArray ? t.GetElementType() :
        t.IsGenericType && (t.GetGenericTypeDefinition() == typeof(List<>) || t.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
            ? t.GetGenericArguments()[0] : null;

    /// <summary>A short human name of the type: "integer", "duration", "list of string", …</summary>
    public static string TypeName(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (ListElement(t) is { } e) return "list of " + TypeName(e);
        if (t == typeof(string)) return "string";
        if (t == typeof(int) || t == typeof(long)) return "integer";
        if (t == typeof(double)) return "number";
        if (t == typeof(bool)) return "boolean";
        if (t == typeof(TimeSpan)) return "duration";
        if (t == typeof(Workers)) return "workers";
        if (t == typeof(Secret)) return "secret";
        if (t.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(t).Select(SnakeCase));
        return "section";
    }

    /// <summary>The default as it would be written in YAML (empty when there is none worth showing).</summary>
    public string DefaultText => FormatValue(Default);

    /// <summary>A value as YAML would write it (secrets never).</summary>
    public static string FormatValue(object? v) => v switch
    {
        null => "",
        string s => s.Length == 0 ? "" : s,
        bool b => b ? "true" : "false",
        TimeSpan t => t == TimeSpan.Zero ? "none" : Duration.Format(t),
        Enum e => SnakeCase(e.ToString()),
        double d => d.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        Secret => "",
        System.Collections.IEnumerable seq when v is not string =>
            "[" + string.Join(", ", seq.Cast<object?>().Select(FormatValue)) + "]",
        _ => v.ToString() ?? "",
    };

    /// <summary>The range a duration option allows: its declared bounds, else zero to <see cref="Duration.Longest"/>.</summary>
    public (TimeSpan Min, TimeSpan Max) DurationRange
    {
        get
        {
            static TimeSpan Read(string? text, TimeSpan otherwise) =>
                text is not null && Duration.TryParse(text, out var t) ? t : otherwise;
            return (Read(Attribute.MinDuration, TimeSpan.Zero), Read(Attribute.MaxDuration, Duration.Longest));
        }
    }

    /// <summary>The allowed range or values as text, e.g. "1..64" (empty when unrestricted).</summary>
    public string RangeText
    {
        get
        {
            if (Attribute.Allowed is { } allowed) return string.Join(" | ", allowed);
            if ((Nullable.GetUnderlyingType(Type) ?? Type) == typeof(TimeSpan))
            {
                var (lo, hi) = DurationRange;
                return lo == TimeSpan.Zero ? $"<= {Duration.Format(hi)}" : $"{Duration.Format(lo)}..{Duration.Format(hi)}";
            }
            var min = Attribute.Min; var max = Attribute.Max;
            if (double.IsNaN(min) && double.IsNaN(max)) return "";
            string F(double x) => x.ToString(CultureInfo.InvariantCulture);
            return double.IsNaN(max) ? $">= {F(min)}" : double.IsNaN(min) ? $"<= {F(max)}" : $"{F(min)}..{F(max)}";
        }
    }

    /// <summary>A C# name in snake_case, as YAML writes it.</summary>
    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])))) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
