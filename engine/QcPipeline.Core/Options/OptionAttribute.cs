namespace QcPipeline.Core.Options;

/// <summary>
/// Declares one option of a stage, connection or job section. The property's name (in snake_case),
/// its type and its initial value are the option's name, type and default; this attribute adds the
/// documentation and the allowed range. Binding, validation, the JSON Schema and the docs all read
/// this one declaration.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OptionAttribute(string doc) : Attribute
{
    /// <summary>What the option does (shown in docs and the schema).</summary>
    public string Doc { get; } = doc;

    /// <summary>Inclusive lower bound for numbers (NaN: none).</summary>
    public double Min { get; init; } = double.NaN;

    /// <summary>Inclusive upper bound for numbers (NaN: none).</summary>
    public double Max { get; init; } = double.NaN;

    /// <summary>Inclusive lower bound for a duration, written as in YAML ("10ms"; null: zero).</summary>
    public string? MinDuration { get; init; }

    /// <summary>Inclusive upper bound for a duration, written as in YAML ("1h"; null: <see cref="Duration.Longest"/>).</summary>
    public string? MaxDuration { get; init; }

    /// <summary>The only values allowed for a string option (null: any).</summary>
    public string[]? Allowed { get; init; }

    /// <summary>The option must be given (it has no useful default).</summary>
    public bool Required { get; init; }

    /// <summary>A file or folder path: relative paths are taken from the job file's folder.</summary>
    public bool IsPath { get; init; }

    /// <summary>The YAML name, where snake_case of the property name is not it.</summary>
    public string? Name { get; init; }
}

/// <summary>A section of options (a class whose properties carry <see cref="OptionAttribute"/>).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class OptionsDocAttribute(string doc) : Attribute
{
    /// <summary>What the section is for.</summary>
    public string Doc { get; } = doc;
}
