using System.Text;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using QcPipeline.Core.Options;
using QcPipeline.SiteScan.Flight;

namespace QcPipeline.SiteScan.Output;

/// <summary>
/// summary.json: for the site and for each folder, the verdict first, then the flags found, the statistics and
/// (per folder) the flight: its pattern, lines, gaps, pauses and overlap; then the thresholds the run used. Built
/// a folder at a time (<see cref="Add"/>) as the analysis hands them out, each folder's part written to a
/// temporary file at once, so a site of many folders is never held whole.
/// </summary>
internal sealed class SummaryJson : IDisposable
{
    public static readonly JsonSerializerOptions Out = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // file names with accents stay readable
    };

    private static readonly JsonSerializerOptions Snake = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonWriterOptions Writer = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly SiteAnalysis _site;
    private readonly GpsAggregateOptions _options;
    private readonly FileStream _folders;
    private readonly Utf8JsonWriter _foldersWriter;
    private readonly SummaryTotals _totals;
    private readonly Dictionary<string, int> _counts = PhotoFlagNames.All.ToDictionary(x => x.Name, _ => 0);
    private readonly Dictionary<string, int> _verdicts = new() { [Verdicts.Ok] = 0, [Verdicts.Warn] = 0, [Verdicts.Fail] = 0 };
    private int _flagged, _gaps, _missing;

    public SummaryJson(SiteAnalysis site, GpsAggregateOptions options)
    {
        (_site, _options) = (site, options);
        _totals = new SummaryTotals(site.Rows.Get, qualifyNames: true, site.Count);
        _folders = new FileStream(Path.Combine(site.WorkDirectory, $".summary-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        _foldersWriter = new Utf8JsonWriter(_folders, Writer);
        _foldersWriter.WriteStartObject();
    }

    /// <summary>summary.json for a site analysed whole (<see cref="SiteAnalysis.Finish"/>).</summary>
    public static JsonObject Build(SiteAnalysis site, GpsAggregateOptions options)
    {
        using var summary = new SummaryJson(site, options);
        foreach (var f in site.Folders) summary.Add(f);
        using var output = new MemoryStream();
        summary.WriteTo(output);
        return JsonNode.Parse(output.ToArray())!.AsObject();
    }

    public void Add(SiteFolder f)
    {
        var node = Head(f.Flight.Verdict, f.Flight.FlagCounts, f.Flight.Flagged);
        var totals = new SummaryTotals(_site.Rows.Get, qualifyNames: false);
        totals.Add(f);
        Merge(node, totals.Result());
        node["flight"] = Flight(f, _site.Cameras);
        _foldersWriter.WritePropertyName(f.Name);
        node.WriteTo(_foldersWriter);
        _foldersWriter.Flush();
        _totals.Add(f);
        foreach (var (name, n) in f.Flight.FlagCounts) _counts[name] += n;
        _verdicts[f.Flight.Verdict.Status]++;
        _flagged += f.Flight.Flagged;
        _gaps += f.Flight.Gaps.Count;
        _missing += f.Flight.Gaps.Sum(g => g.MissingPhotos);
    }

    /// <summary>Writes the whole document, once every folder has been added (the site's verdict is then known).</summary>
    public void WriteTo(Stream output)
    {
        var siteNode = Head(_site.SiteVerdict, _counts, _flagged);
        var verdicts = new JsonObject();
        foreach (var (status, n) in _verdicts) verdicts[status] = n;
        siteNode["verdicts"] = verdicts;
        siteNode["gaps"] = _gaps;
        siteNode["missing_photos"] = _missing;
        Merge(siteNode, _totals.Result());
        _foldersWriter.WriteEndObject();
        _foldersWriter.Flush();
        void Text(string s) => output.Write(Encoding.UTF8.GetBytes(s));
        Text("{\n\"site\": ");
        using (var w = new Utf8JsonWriter(output, Writer)) siteNode.WriteTo(w);
        Text(",\n\"folders\": ");
        _folders.Position = 0;
        _folders.CopyTo(output);
        Text(",\n\"thresholds\": ");
        using (var w = new Utf8JsonWriter(output, Writer)) Thresholds(_options).WriteTo(w);
        Text(",\n\"notes\": ");
        using (var w = new Utf8JsonWriter(output, Writer)) Notes.WriteTo(w);
        Text("\n}\n");
    }

    public void Dispose()
    {
        _foldersWriter.Dispose();
        _folders.Dispose();
    }

    private static JsonObject Notes => new()
    {
        ["flags"] = "findings, not failures: flagged photos are in every output with their status; see flags and flag_details in points.csv",
        ["positions"] = "statistics use ok positions only; suspect positions (null island, out of range, void fix) are in points.csv as recorded",
        ["track_length_m"] = "great-circle, through each folder's flight (ok photos, not far from the site nor duplicated) in capture order; the site's is the sum of its folders'",
        ["gaps"] = "consecutive photos along a flight line farther apart than gap_factor × the line's usual spacing, or, for a camera that shoots at an interval, later than gap_factor intervals; missing_photos ≈ length / spacing − 1 (or interval); missing_by_file_number: what the camera's file counter skipped (0: no photo was taken); turns between lines are not gaps",
        ["overlap"] = "estimated from photo and line spacing against the footprint at the relative altitude (above take-off) and the camera's sensor; rough over uneven ground",
    };

    private static JsonObject Head(FolderVerdict verdict, IReadOnlyDictionary<string, int> counts, int flagged)
    {
        var flags = new JsonObject();
        foreach (var (name, n) in counts) flags[name] = n;
        return new JsonObject
        {
            ["verdict"] = new JsonObject { ["status"] = verdict.Status, ["reasons"] = new JsonArray(verdict.Reasons.Select(r => (JsonNode)r).ToArray()) },
            ["flagged"] = flagged,
            ["flags"] = flags,
        };
    }

    private static void Merge(JsonObject into, GroupSummary summary)
    {
        var node = JsonSerializer.SerializeToNode(summary, Snake)!.AsObject();
        foreach (var (key, value) in node.ToList())
        {
            node.Remove(key);
            into[key] = value;
        }
    }

    private static JsonObject Flight(SiteFolder f, CameraTable cameras)
    {
        var flight = f.Flight;
        return new JsonObject
        {
            ["pattern"] = flight.Pattern,
            ["looks_down"] = flight.LooksDown,
            ["camera"] = flight.MainCamera < 0 ? null : cameras.Describe(flight.MainCamera),
            ["far_from_site_limit_m"] = double.IsNaN(flight.FarLimitM) ? null : Math.Round(flight.FarLimitM, 1),
            ["overlap"] = flight.Overlap is { } o ? JsonSerializer.SerializeToNode(o with
            {
                Forward = Round(o.Forward, 3), Side = Round(o.Side, 3), HeightM = Math.Round(o.HeightM, 2), PhotoSpacingM = Math.Round(o.PhotoSpacingM, 2),
                LineSpacingM = Round(o.LineSpacingM, 2), FootprintAlongM = Math.Round(o.FootprintAlongM, 2), FootprintAcrossM = Math.Round(o.FootprintAcrossM, 2),
            }, Snake) : null,
            ["overlap_note"] = flight.OverlapNote,
            ["lines"] = JsonSerializer.SerializeToNode(flight.Lines, Snake),
            ["gaps"] = JsonSerializer.SerializeToNode(flight.Gaps, Snake),
            ["pauses"] = JsonSerializer.SerializeToNode(flight.Pauses, Snake),
        };
    }

    private static double? Round(double? v, int digits) => v is { } x ? Math.Round(x, digits) : null;

    private static JsonObject Thresholds(GpsAggregateOptions options)
    {
        var node = new JsonObject();
        foreach (var spec in OptionSpec.For(typeof(GpsAggregateOptions)))
        {
            var value = spec.Property.GetValue(options);
            node[spec.Name] = value switch
            {
                double d => d,
                int i => i,
                Enum e => OptionSpec.FormatValue(e),
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
        }
        return node;
    }
}
