namespace QcPipeline.Core.Options;

/// <summary>
/// A secret value (password, passphrase). Written in YAML as `env:NAME` or `file:PATH`, never inline,
/// so a job file can be shared; <see cref="ToString"/> never shows the value.
/// </summary>
public sealed class Secret
{
    private readonly string? _value;

    private Secret(string source, string? value) { Source = source; _value = value; }

    /// <summary>Where the value comes from, e.g. "env:SERVER_PASSWORD" (safe to print).</summary>
    public string Source { get; }

    /// <summary>True when the source gave a value.</summary>
    public bool HasValue => !string.IsNullOrEmpty(_value);

    /// <summary>The secret itself: hand it to the one API that needs it, nowhere else.</summary>
    public string Reveal() => _value ?? "";

    /// <summary>Where the value comes from, never the value.</summary>
    public override string ToString() => Source;

    /// <summary>Resolves `env:NAME` or `file:PATH` (relative to <paramref name="baseDir"/>); null with an error otherwise.</summary>
    public static Secret? Resolve(string spec, string baseDir, out string? error)
    {
        error = null;
        if (spec.Length == 0) return new Secret("(none)", null);
        if (spec.StartsWith("env:", StringComparison.Ordinal))
        {
            var name = spec[4..];
            return new Secret(spec, Environment.GetEnvironmentVariable(name));
        }
        if (spec.StartsWith("file:", StringComparison.Ordinal))
        {
            var path = Path.GetFullPath(Path.Combine(baseDir, spec[5..]));
            if (!File.Exists(path)) { error = $"secret file {path} does not exist"; return null; }
            return new Secret(spec, File.ReadAllText(path).TrimEnd('\r', '\n'));
        }
        error = "a secret is written as env:NAME or file:PATH, never inline";
        return null;
    }

    /// <summary>A secret with no value.</summary>
    public static Secret None { get; } = new("(none)", null);
}
