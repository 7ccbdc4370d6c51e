using System.Globalization;
using System.Net;
using System.Text;
using QcPipeline.Core.Reports;
using QcPipeline.SiteScan.Flight;

namespace QcPipeline.SiteScan.Report;

/// <summary>
/// The site scan's part of report.html, gathered while points.csv is written: the verdict of the site and of each
/// folder first (worst first, with the reasons), then the map (every folder's flight path, its photos, flagged
/// ones coloured by flag, gaps drawn across), then the table of flagged photos with why. The map draws the flagged
/// photos (up to report_map_points) and thins the clean ones and the paths evenly to stay within it.
/// </summary>
internal sealed class FlightReport
{
    public const int MaxTableRows = 2000;

    private readonly SiteAnalysis _site;
    private readonly int _budget, _cleanStride, _pathStride;
    private readonly Dictionary<string, MapFolder> _map = new(StringComparer.Ordinal);
    private readonly List<(string Name, FolderFlight Flight)> _folders = [];
    private readonly StringBuilder _table = new();
    private int _tableRows, _flagged, _flaggedDrawn, _cleanSeen, _cleanDrawn;

    // A folder's points as columns (about 40 bytes a point): longitude, latitude, flags, file, status.
    private sealed record MapPoints(List<double> Lon, List<double> Lat, List<int> Flags, List<string> File, List<string> Status);

    private sealed record MapFolder(MapPoints Points, List<double[]> Path, List<object[]> Gaps);

    public FlightReport(SiteAnalysis site, GpsAggregateOptions options)
    {
        _site = site;
        // Clean photos and flight paths are thinned evenly to stay within the map's budget; flagged ones are all
        // drawn, up to the budget.
        _budget = options.ReportMapPoints;
        _cleanStride = Math.Max(1, (int)Math.Ceiling(site.Count / (double)_budget));
        _pathStride = _cleanStride;
    }

    /// <summary>Takes one folder, once analysed (before its photos).</summary>
    public void Folder(SiteFolder folder)
    {
        _folders.Add((folder.Name, folder.Flight));
        var order = SiteSummary.FlightOrder(folder.Photos);
        var path = order.Where((_, k) => k % _pathStride == 0 || k == order.Count - 1)
            .Select(i => new[] { Round(folder.Photos[i].Lon), Round(folder.Photos[i].Lat) }).ToList();
        var gaps = folder.Flight.Gaps.Select(g =>
        {
            var (a, b) = (folder.Photos.Find(p => p.Name == g.After), folder.Photos.Find(p => p.Name == g.Before));
            return new object[] { Round(a.Lon), Round(a.Lat), Round(b.Lon), Round(b.Lat), g.MissingPhotos, g.After, g.Before, Math.Round(g.LengthM, 1) };
        }).ToList();
        _map[folder.Name] = new MapFolder(new MapPoints([], [], [], [], []), path, gaps);
    }

    /// <summary>Takes one photo as points.csv writes it.</summary>
    public void Add(SiteFolder folder, PhotoFacts f, GpsReading r, List<string> details)
    {
        var isFlagged = f.Flags != PhotoFlags.None;
        if (r is { Latitude: { } lat, Longitude: { } lon } && Math.Abs(lat) <= 90 && Math.Abs(lon) <= 180
            && (isFlagged ? _flaggedDrawn < _budget : _cleanSeen++ % _cleanStride == 0))
        {
            if (isFlagged) _flaggedDrawn++;
            else _cleanDrawn++;
            var points = _map[folder.Name].Points;
            points.Lon.Add(Round(lon)); points.Lat.Add(Round(lat)); points.Flags.Add((int)f.Flags); points.File.Add(f.Name); points.Status.Add(r.Status.Name());
        }
        if (!isFlagged) return;
        _flagged++;
        if (_tableRows++ >= MaxTableRows) return;
        _table.Append("<tr><td>").Append(E(folder.Name)).Append("</td><td><code>").Append(E(f.Name)).Append("</code></td><td>");
        foreach (var name in PhotoFlagNames.Names(f.Flags)) _table.Append("<span class=\"flag ").Append(name).Append("\">").Append(name).Append("</span> ");
        _table.Append("</td><td>").Append(E(string.Join("; ", details))).Append("</td></tr>\n");
    }

    public IReadOnlyList<ReportSection> Sections() =>
    [
        new ReportSection { Id = "flight-qc", Title = "Flight QC: verdicts", Html = VerdictTable(), Css = FlightReportAssets.Css },
        new ReportSection
        {
            Id = "flight-map", Title = "Map: photos, flagged photos and gaps",
            Html = $"<p class=\"note\">One colour per folder; lines join each folder's photos in capture order; flagged photos are larger, coloured by their first flag; "
                   + $"red dashes are gaps; hollow points are not ok.{(_cleanStride > 1 ? $" {_cleanDrawn:N0} of {_cleanSeen:N0} clean photos drawn." : "")}"
                   + $"{(_flaggedDrawn < _flagged ? $" {_flaggedDrawn:N0} of {_flagged:N0} flagged photos drawn." : "")}</p><div class=\"map\"></div>",
            Script = FlightReportAssets.MapScript,
            Data = new
            {
                flags = PhotoFlagNames.All.Select(x => new object[] { x.Name, (int)x.Flag, FlightReportAssets.FlagColor(x.Name) }),
                folders = _map.Select(m => new
                {
                    name = m.Key, path = m.Value.Path, gaps = m.Value.Gaps,
                    points = new { lon = m.Value.Points.Lon, lat = m.Value.Points.Lat, flags = m.Value.Points.Flags, file = m.Value.Points.File, status = m.Value.Points.Status },
                }),
            },
        },
        new ReportSection { Id = "flagged-photos", Title = $"Flagged photos ({_flagged:N0})", Html = FlaggedTable() },
    ];

    private string VerdictTable()
    {
        var sb = new StringBuilder();
        var site = _site.SiteVerdict;
        sb.Append("<p class=\"site-verdict\">Site: <span class=\"verdict ").Append(site.Status).Append("\">").Append(site.Status).Append("</span> · ")
          .Append(_site.Count.ToString("N0", CultureInfo.InvariantCulture)).Append(" photos in ").Append(_folders.Count).Append(" folders");
        foreach (var reason in site.Reasons) sb.Append(" · ").Append(E(reason));
        sb.Append("</p>\n<table class=\"verdicts\"><thead><tr>");
        foreach (var h in new[] { "Folder", "Verdict", "Photos", "Flagged", "Gaps", "Missing", "Pattern", "Lines", "Forward", "Side", "Reasons" })
            sb.Append("<th>").Append(h).Append("</th>");
        sb.Append("</tr></thead><tbody>\n");
        foreach (var f in _folders.OrderBy(f => Severity(f.Flight.Verdict.Status)).ThenBy(f => f.Name, StringComparer.Ordinal))
        {
            var fl = f.Flight;
            sb.Append("<tr class=\"").Append(fl.Verdict.Status).Append("\"><td>").Append(E(f.Name)).Append("</td><td><span class=\"verdict ")
              .Append(fl.Verdict.Status).Append("\">").Append(fl.Verdict.Status).Append("</span></td>");
            Num(sb, fl.Photos); Num(sb, fl.Flagged); Num(sb, fl.Gaps.Count); Num(sb, fl.Gaps.Sum(g => g.MissingPhotos));
            sb.Append("<td>").Append(E(fl.Pattern)).Append("</td>");
            Num(sb, fl.Lines.Count);
            sb.Append("<td class=\"n\">").Append(Pct(fl.Overlap?.Forward)).Append("</td><td class=\"n\">").Append(Pct(fl.Overlap?.Side)).Append("</td><td>")
              .Append(E(string.Join("; ", fl.Verdict.Reasons))).Append("</td></tr>\n");
        }
        return sb.Append("</tbody></table>\n").ToString();
    }

    private string FlaggedTable()
    {
        if (_flagged == 0) return "<p class=\"note\" id=\"no-flags\">No photo was flagged.</p>";
        var more = _flagged > MaxTableRows ? $"<p class=\"note\">… and {_flagged - MaxTableRows:N0} more (see points.csv).</p>" : "";
        return "<table class=\"flagged\"><thead><tr><th>Folder</th><th>File</th><th>Flags</th><th>Why</th></tr></thead><tbody>\n"
               + _table + "</tbody></table>\n" + more;
    }

    private static int Severity(string status) => status switch { Verdicts.Fail => 0, Verdicts.Warn => 1, _ => 2 };

    private static void Num(StringBuilder sb, long n) => sb.Append("<td class=\"n\">").Append(n.ToString("N0", CultureInfo.InvariantCulture)).Append("</td>");

    private static string Pct(double? share) => share is { } s ? (s * 100).ToString("0", CultureInfo.InvariantCulture) + " %" : "–";

    private static double Round(double v) => Math.Round(v, 7);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
