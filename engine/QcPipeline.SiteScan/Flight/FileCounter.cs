using System.Globalization;
using System.Text.RegularExpressions;

namespace QcPipeline.SiteScan.Flight;

/// <summary>The photo counter cameras put in file names: the last run of digits of the name (DJI_20251002120847_0345_D.JPG:
/// 0345; IMG_1234.JPG: 1234). DJI's four-digit counter runs 0001 to 0999, then starts again.</summary>
public static partial class FileCounter
{
    /// <summary>How many counter values lie between two photos taken one after the other, or null when the names tell nothing.</summary>
    public static int? Skipped(string after, string before)
    {
        if (Number(after) is not { } a || Number(before) is not { } b) return null;
        if (b > a) return b - a - 1;
        var wrapped = 999 - a + b - 1; // past 0999 to 0001
        return a <= 999 && wrapped is >= 0 and < 100 ? wrapped : null;
    }

    private static int? Number(string name)
    {
        var m = LastDigits().Match(Path.GetFileNameWithoutExtension(name));
        return m.Success && m.Length <= 9 ? int.Parse(m.Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"\d+(?=\D*$)")]
    private static partial Regex LastDigits();
}
