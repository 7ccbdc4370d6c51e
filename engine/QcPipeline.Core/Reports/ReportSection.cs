namespace QcPipeline.Core.Reports;

/// <summary>
/// A part of report.html that a stage contributes: its family's own results (the site scan's verdicts and map, an
/// inspection's defects), shown before the run's own sections (stages, timeline, failures). The report writer
/// knows no family: it renders what the stages hand it.
/// </summary>
public sealed record ReportSection
{
    /// <summary>Names the section in the page: letters, digits and '-' (its element's id is section-{Id}).</summary>
    public required string Id { get; init; }

    /// <summary>The section's heading.</summary>
    public required string Title { get; init; }

    /// <summary>HTML shown as it is, also where JavaScript is off; the contributor escapes what it embeds.</summary>
    public string Html { get; init; } = "";

    /// <summary>Data for <see cref="Script"/>, embedded in the page as JSON (serialised with System.Text.Json).</summary>
    public object? Data { get; init; }

    /// <summary>The body of a JavaScript function (host, data, report) that draws into the section's element: host
    /// is the element, data the parsed <see cref="Data"/>, report the page's helpers (el, legend, niceStep,
    /// palette, showTip, hideTip). The page allows no network: inline code only.</summary>
    public string? Script { get; init; }

    /// <summary>Style rules the section adds to the page.</summary>
    public string? Css { get; init; }
}

/// <summary>A stage that adds sections to report.html. Asked once, after its outputs are written.</summary>
public interface IReportContributor
{
    /// <summary>The stage's sections, in the order they are shown (none is fine).</summary>
    IReadOnlyList<ReportSection> ReportSections();
}

/// <summary>Gathers the sections of a run's stages for the report writer.</summary>
public static class ReportContributions
{
    /// <summary>The sections of every contributing stage of a run, in the job's stage order. A contributor that
    /// throws becomes a section that says so: the rest of the report is still written.</summary>
    public static IReadOnlyList<ReportSection> Collect(IEnumerable<(string Name, object Stage)> stages)
    {
        var sections = new List<ReportSection>();
        foreach (var (name, stage) in stages)
        {
            if (stage is not IReportContributor contributor) continue;
            try { sections.AddRange(contributor.ReportSections()); }
            catch (Exception e)
            {
                sections.Add(new ReportSection
                {
                    Id = "error-" + name, Title = name,
                    Html = "<p class=\"error\">" + System.Net.WebUtility.HtmlEncode($"{name}'s report section could not be made: {e.Message}") + "</p>",
                });
            }
        }
        return sections;
    }
}
