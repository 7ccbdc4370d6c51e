using System.Text;
using QcPipeline.Core.Outputs;
using QcPipeline.Core.Reports;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using QcPipeline.SiteScan.Output;
using QcPipeline.SiteScan.Report;

namespace QcPipeline.SiteScan;

/// <summary>
/// The site scan's sink. Each photo's reading goes to disk as it arrives and only its compact facts stay in memory
/// (see <see cref="SiteAnalysis"/>); at the end it runs flight QC and writes, in the run's output folder,
/// points.csv (one row per listed image, failed ones included, with its flags), points.geojson (the points, one
/// flight path per folder and one line per gap) and summary.json (per folder and site: verdict, flags, flight
/// lines, gaps, overlap, statistics), each streamed to a temporary file renamed into place. Its verdicts, map
/// and flagged photos are its sections of report.html.
/// </summary>
[Stage("gps.aggregate", "Flight QC and the site scan's outputs: flags each photo (no_position, invalid_position, far_from_site, duplicate, not_nadir, no_gimbal, altitude_off, motion_blur_risk, rtk_not_fixed, mixed_camera), finds each folder's flight lines, gaps and overlap, gives each folder a verdict; writes points.csv, points.geojson, summary.json and its report.html sections.")]
public sealed class GpsAggregateStage : SinkStage<GpsPoint, GpsAggregateOptions>, IReportContributor
{
    /// <summary>The first line of points.csv.</summary>
    public static readonly string CsvHeader = string.Join(',', PointsWriter.Columns);

    private SiteAnalysis? _site;
    private IReadOnlyList<ReportSection> _sections = [];

    /// <inheritdoc />
    public override ValueTask StartAsync(CancellationToken ct)
    {
        _site = new SiteAnalysis(Context.OutputDirectory);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask ConsumeAsync(Outcome<GpsPoint> item, ItemContext context)
    {
        var (folder, file, reading) = ToRow(item);
        _site!.Add(folder, file, reading);
        return ValueTask.CompletedTask;
    }

    /// <summary>An outcome as a row: the reading, or why there is none (a failure upstream, a skip).</summary>
    public static (string Folder, string File, GpsReading Reading) ToRow(Outcome<GpsPoint> item)
    {
        if (item.IsOk && item.Value is { } p) return (p.Folder, p.Name, p.Gps);
        var (folder, file) = item.Input is FileItem f ? (f.Folder, f.Name) : FromKey(item.Key);
        var reason = item.Failure is { } failure ? $"{failure.Stage}: {failure.Reason}"
            : item.SkipReason is { } skip ? $"skipped: {skip}" : "the stage before produced no GPS reading";
        return (folder, file, new GpsReading { Status = GpsStatus.Error, Reason = reason });
    }

    private static (string Folder, string File) FromKey(string key)
    {
        var slash = key.LastIndexOf('/');
        return slash < 0 ? (".", key) : (slash == 0 ? "/" : key[..slash], key[(slash + 1)..]);
    }

    /// <inheritdoc />
    public override ValueTask FlushAsync(CancellationToken ct)
    {
        var site = _site!;
        var dir = Context.OutputDirectory;
        Directory.CreateDirectory(dir);
        var report = new FlightReport(site, Options);
        using var summary = new SummaryJson(site, Options);
        var (csvPath, geoPath) = (Path.Combine(dir, "points.csv"), Path.Combine(dir, "points.geojson"));
        var summaryPath = Path.Combine(dir, "summary.json");
        // Outputs appear whole or not at all: a crash mid-write leaves no half file.
        using (var outputs = new AtomicFileSet())
        {
            using (var points = new PointsWriter(outputs.Create(csvPath), outputs.Create(geoPath)))
            {
                // One folder in memory at a time: analysed, written, summed up, let go.
                foreach (var folder in site.Analyse(Options))
                {
                    report.Folder(folder);
                    points.Folder(folder, site, Options, report.Add);
                    summary.Add(folder);
                }
                points.Finish();
            }
            summary.WriteTo(outputs.Create(summaryPath));
            outputs.Commit();
        }
        _sections = report.Sections();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask StopAsync()
    {
        _site?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public IReadOnlyList<ReportSection> ReportSections() => _sections;
}
