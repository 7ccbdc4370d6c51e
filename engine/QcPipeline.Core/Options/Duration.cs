using System.Globalization;
using System.Text.RegularExpressions;

namespace QcPipeline.Core.Options;

/// <summary>Durations as users write them in YAML: "250ms", "30s", "5m", "1h", or plain seconds.</summary>
public static partial class Duration
{
    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")]
    private static partial Regex Pattern();

    /// <summary>The longest duration any option takes unless it declares less: a day (what timers and Polly accept).</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromHours(24);

    /// <summary>Reads a duration; a value too large for any timer comes out as <see cref="TimeSpan.MaxValue"/>
    /// (so range checks, not arithmetic, reject it).</summary>
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var m = Pattern().Match(text);
        if (!m.Success) return false;
        var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var ms = n * (m.Groups[2].Value switch { "ms" => 1, "m" => 60_000, "h" => 3_600_000, _ => 1000 });
        value = ms >= TimeSpan.MaxValue.TotalMilliseconds ? TimeSpan.MaxValue : TimeSpan.FromMilliseconds(ms);
        return true;
    }

    /// <summary>A duration as users write it: "250ms", "30s", "5m".</summary>
    public static string Format(TimeSpan t) =>
        t.TotalMilliseconds < 1000 || t.TotalMilliseconds % 1000 != 0
            ? $"{t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms"
            : t.TotalSeconds % 60 != 0 || t.TotalSeconds < 60 ? $"{t.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s"
            : t.TotalMinutes % 60 != 0 || t.TotalMinutes < 60 ? $"{t.TotalMinutes.ToString(CultureInfo.InvariantCulture)}m"
            : $"{t.TotalHours.ToString(CultureInfo.InvariantCulture)}h";
}
