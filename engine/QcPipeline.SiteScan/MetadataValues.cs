using System.Globalization;
using MetadataExtractor;
using MeDirectory = MetadataExtractor.Directory;

namespace QcPipeline.SiteScan;

/// <summary>Reading one value out of MetadataExtractor's EXIF directories and XMP, as text or as a number,
/// with placeholders (empty text, NUL padding, unparsable numbers) read as "not recorded".</summary>
internal static class MetadataValues
{
    public const string DjiNs = "http://www.dji.com/drone-dji/1.0/";
    public const string TiffNs = "http://ns.adobe.com/tiff/1.0/";

    public static string? Text(MeDirectory? dir, int tag)
    {
        if (dir is null || !dir.ContainsTag(tag)) return null;
        var s = dir.GetString(tag)?.Trim('\0', ' ');
        return string.IsNullOrEmpty(s) ? null : s;
    }

    /// <summary>A tag as a number: a rational (n/0 is not a number), an integer, or numeric text.</summary>
    public static double? Number(MeDirectory? dir, int tag)
    {
        if (dir is null || !dir.ContainsTag(tag)) return null;
        double? value = dir.GetObject(tag) switch
        {
            MetadataExtractor.Rational r => r.Denominator == 0 ? null : r.ToDouble(),
            MetadataExtractor.Rational[] { Length: > 0 } rs => rs[0].Denominator == 0 ? null : rs[0].ToDouble(),
            byte or sbyte or short or ushort or int or uint or long or ulong or float or double => Convert.ToDouble(dir.GetObject(tag), CultureInfo.InvariantCulture),
            Array { Length: > 0 } a when a.GetValue(0) is IConvertible c and not string => c.ToDouble(CultureInfo.InvariantCulture),
            _ => double.TryParse(Text(dir, tag), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null,
        };
        return value is { } x && double.IsFinite(x) ? x : null;
    }

    public static string? XmpText(XmpCore.IXmpMeta? xmp, string ns, string name)
    {
        if (xmp is null) return null;
        try
        {
            var s = xmp.GetPropertyString(ns, name)?.Trim();
            return string.IsNullOrEmpty(s) ? null : s;
        }
        catch (XmpCore.XmpException) { return null; }
    }

    public static double? XmpNumber(XmpCore.IXmpMeta? xmp, string ns, string name) =>
        XmpText(xmp, ns, name) is { } s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;

    public static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
