using System.Globalization;
using System.Text.RegularExpressions;

namespace QcPipeline.Core.Options;

/// <summary>Durations as users write them in YAML: "250ms", "30s", "5m", "1h", or plain seconds.</summary>
public static partial class Duration
{
    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")]
    private static partial Regex Pattern();

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var m = Pattern().Match(text);
        if (!m.Success) return false;
        var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        value = m.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromSeconds(n),
        };
        return true;
    }

    public static string Format(TimeSpan t) =>
        t.TotalMilliseconds < 1000 || t.TotalMilliseconds % 1000 != 0
            ? $"{t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms"
            : t.TotalSeconds % 60 != 0 || t.TotalSeconds < 60 ? $"{t.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s"
            : $"{t.TotalMinutes.ToString(CultureInfo.InvariantCulture)}m";
}
