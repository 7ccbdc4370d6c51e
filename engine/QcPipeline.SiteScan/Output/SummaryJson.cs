using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using QcPipeline.Core.Options;
using QcPipeline.SiteScan.Flight;

namespace QcPipeline.SiteScan.Output;

/// <summary>
/// summary.json: for the site and for each folder, the verdict first, then the flags found, the statistics and
/// (per folder) the flight: its pattern, lines, gaps, pauses and overlap; then the thresholds the run used.
/// </summary>
public static class SummaryJson
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

    public static JsonObject Build(SiteAnalysis site, GpsAggregateOptions options)
    {
        var folders = new JsonObject();
        foreach (var f in site.Folders)
        {
            var node = Head(f.Flight.Verdict, f.Flight.FlagCounts, f.Flight.Flagged);
            Merge(node, SiteSummary.Summarise([f], site.Rows.Get, qualifyNames: false));
            node["flight"] = Flight(f, site.Cameras);
            folders[f.Name] = node;
        }
        var counts = PhotoFlagNames.All.ToDictionary(x => x.Name, x => site.Folders.Sum(f => f.Flight.FlagCounts[x.Name]));
        var siteNode = Head(site.SiteVerdict, counts, site.Folders.Sum(f => f.Flight.Flagged));
        siteNode["verdicts"] = new JsonObject
        {
            [Verdicts.Ok] = site.Folders.Count(f => f.Flight.Verdict.Status == Verdicts.Ok),
            [Verdicts.Warn] = site.Folders.Count(f => f.Flight.Verdict.Status == Verdicts.Warn),
            [Verdicts.Fail] = site.Folders.Count(f => f.Flight.Verdict.Status == Verdicts.Fail),
        };
        siteNode["gaps"] = site.Folders.Sum(f => f.Flight.Gaps.Count);
        siteNode["missing_photos"] = site.Folders.Sum(f => f.Flight.Gaps.Sum(g => g.MissingPhotos));
        Merge(siteNode, SiteSummary.Summarise(site.Folders, site.Rows.Get, qualifyNames: true));
        return new JsonObject
        {
            ["site"] = siteNode,
            ["folders"] = folders,
            ["thresholds"] = Thresholds(options),
            ["notes"] = new JsonObject
            {
                ["flags"] = "findings, not failures: flagged photos are in every output with their status; see flags and flag_details in points.csv",
                ["positions"] = "statistics use ok positions only; suspect positions (null island, out of range, void fix) are in points.csv as recorded",
                ["track_length_m"] = "great-circle, through each folder's flight (ok photos, not far from the site nor duplicated) in capture order; the site's is the sum of its folders'",
                ["gaps"] = "consecutive photos along a flight line farther apart than gap_factor × the line's usual spacing; missing_photos ≈ length / spacing − 1; turns between lines are not gaps",
                ["overlap"] = "estimated from photo and line spacing against the footprint at the relative altitude (above take-off) and the camera's sensor; rough over uneven ground",
            },
        };
    }

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
