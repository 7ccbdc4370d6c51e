using System.Text;
using System.Text.Json;
using QcPipeline.Core.Reports;

namespace QcPipeline.Telemetry;

/// <summary>How report.html holds a contributed section: its element, its data as JSON, and its script, which
/// the page's <c>qcReport.section</c> runs with the element and the data (an error in it is shown, not fatal).</summary>
internal static class ReportPage
{
    /// <summary>Ids made safe for HTML and unique in the page.</summary>
    public static IReadOnlyList<ReportSection> Unique(IReadOnlyList<ReportSection> sections)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<ReportSection>(sections.Count);
        foreach (var s in sections)
        {
            var id = new string(s.Id.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());
            if (id.Length == 0) id = "section";
            var unique = id;
            for (var n = 2; !seen.Add(unique); n++) unique = $"{id}-{n}";
            result.Add(s with { Id = unique });
        }
        return result;
    }

    public static void Section(StringBuilder sb, ReportSection s) =>
        sb.Append("<section id=\"section-").Append(s.Id).Append("\" class=\"contributed\"><h2>").Append(System.Net.WebUtility.HtmlEncode(s.Title))
          .Append("</h2>").Append(s.Html).Append("</section>\n");

    public static void Script(StringBuilder sb, ReportSection s)
    {
        if (s.Script is null) return;
        // The default encoder escapes <, > and &, so the JSON cannot end its <script> element early.
        sb.Append("<script type=\"application/json\" id=\"section-data-").Append(s.Id).Append("\">").Append(JsonSerializer.Serialize(s.Data))
          .Append("</script>\n<script>qcReport.section('").Append(s.Id).Append("', function (host, data, report) {\n").Append(s.Script.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase))
          .Append("\n});</script>\n");
    }
}
