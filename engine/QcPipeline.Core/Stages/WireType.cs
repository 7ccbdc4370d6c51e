using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using QcPipeline.Core.Options;

namespace QcPipeline.Core.Stages;

/// <summary>
/// An item type that may be sent to another machine, as JSON, under a stable name. A family registers the item
/// types its stages exchange (<see cref="StageRegistry.WireItem{TItem}"/>), beside the stages themselves; only
/// those may enter or leave a run of stages executed elsewhere. An item type that holds a <see cref="Secret"/>,
/// anywhere in its properties, cannot be registered: a secret never travels.
/// </summary>
public sealed class WireType
{
    private static readonly JsonSerializerOptions Defaults = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // NaN and ∞ scores survive the trip
    };

    private readonly JsonSerializerOptions _options;

    private WireType(string name, Type type, JsonSerializerOptions options) { Name = name; Type = type; _options = options; }

    /// <summary>The name messages carry, e.g. "file" (stable across versions of the CLR type's name).</summary>
    public string Name { get; }

    /// <summary>The item's CLR type (an item is sent only as exactly this type, never as a base type).</summary>
    public Type Type { get; }

    /// <summary>The item as JSON (UTF-8).</summary>
    public byte[] Encode(IItem item) => JsonSerializer.SerializeToUtf8Bytes(item, Type, _options);

    /// <summary>The item from its JSON; throws <see cref="JsonException"/> when it is not one.</summary>
    public IItem Decode(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, Type, _options) as IItem ?? throw new JsonException($"'{Name}' item is empty");

    internal static WireType For<TItem>(string name, JsonConverter<TItem>? converter)
    {
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
            throw new ArgumentException($"wire name '{name}' must be letters, digits, '-' or '.'");
        if (converter is null && SecretIn(typeof(TItem), []) is { } where)
            throw new InvalidOperationException($"item type {typeof(TItem).Name} cannot be sent to other machines: {where} is a secret");
        var options = new JsonSerializerOptions(Defaults);
        if (converter is not null) options.Converters.Add(converter);
        return new WireType(name, typeof(TItem), options);
    }

    // The path to a Secret among a type's public properties (and their element types), or null.
    private static string? SecretIn(Type t, HashSet<Type> seen)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(Secret)) return t.Name;
        if (t.IsPrimitive || t == typeof(string) || t.IsEnum || !seen.Add(t)) return null;
        if (OptionSpec.ListElement(t) is { } element) return SecretIn(element, seen);
        if (t.IsGenericType)
            foreach (var arg in t.GetGenericArguments())
                if (SecretIn(arg, seen) is { } inArg) return inArg;
        foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.Always }) continue;
            if (SecretIn(p.PropertyType, seen) is { } inner) return $"{t.Name}.{p.Name}" + (inner == nameof(Secret) ? "" : " → " + inner);
        }
        return null;
    }
}
