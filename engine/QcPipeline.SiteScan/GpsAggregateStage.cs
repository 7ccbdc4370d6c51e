using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;

namespace QcPipeline.SiteScan;

public sealed class GpsAggregateOptions
{
    [Option("A photo is an outlier when it lies farther from its folder's median position than this many times the folder's median distance to it…", Min = 1, Max = 1000)]
    public double OutlierFactor { get; init; } = 5;

    [Option("…and farther than this many metres.", Min = 0)]
    public double OutlierMinM { get; init; } = 50;
}

/// <summary>
/// Writes the site scan's outputs in the run's output folder: points.csv (one row per listed image, failed
/// ones included), summary.json (per folder and for the site) and points.geojson (the points and one flight
/// path per folder).
/// </summary>
[Stage("gps.aggregate", "Writes points.csv (one row per image, failures included), summary.json (per folder and site: counts, bbox, centroid, time span, altitudes, track length, duplicates, outliers) and points.geojson.")]
public sealed class GpsAggregateStage : SinkStage<GpsPoint, GpsAggregateOptions>
{
    public const string CsvHeader = "folder,file,latitude,longitude,altitude_m,relative_altitude_m,taken_at,status,reason";

    private readonly List<PointRow> _rows = [];

    public override ValueTask ConsumeAsync(Outcome<GpsPoint> item, ItemContext context)
    {
        _rows.Add(ToRow(item));
        return ValueTask.CompletedTask;
    }

    /// <summary>An outcome as a row: the reading, or why there is none (a failure upstream, a skip).</summary>
    public static PointRow ToRow(Outcome<GpsPoint> item)
    {
        if (item.IsOk && item.Value is { } p) return new PointRow(p.Folder, p.Name, p.Gps.Status, p.Gps.Reason, p.Gps);
        var (folder, file) = item.Input is FileItem f ? (f.Folder, f.Name) : FromKey(item.Key);
        var reason = item.Failure is { } failure ? $"{failure.Stage}: {failure.Reason}"
            : item.SkipReason is { } skip ? $"skipped: {skip}" : "the stage before produced no GPS reading";
        return new PointRow(folder, file, GpsStatus.Error, reason, new GpsReading { Status = GpsStatus.Error, Reason = reason });
    }

    private static (string Folder, string File) FromKey(string key)
    {
        var slash = key.LastIndexOf('/');
        return slash < 0 ? (".", key) : (slash == 0 ? "/" : key[..slash], key[(slash + 1)..]);
    }

    public override async ValueTask FlushAsync(CancellationToken ct)
    {
        var rows = _rows.OrderBy(r => r.Folder, StringComparer.Ordinal).ThenBy(r => r.File, StringComparer.Ordinal).ToList();
        var dir = Context.OutputDirectory;
        Directory.CreateDirectory(dir);
        var (summary, paths) = Summarise(rows, Options);
        await WriteAtomicallyAsync(Path.Combine(dir, "points.csv"), Csv(rows), ct).ConfigureAwait(false);
        await WriteAtomicallyAsync(Path.Combine(dir, "summary.json"), summary.ToJsonString(JsonOut), ct).ConfigureAwait(false);
        await WriteAtomicallyAsync(Path.Combine(dir, "points.geojson"), GeoJson(rows, paths).ToJsonString(JsonOut), ct).ConfigureAwait(false);
    }

    private static readonly JsonSerializerOptions JsonOut = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // file names with accents stay readable
    };

    private static readonly JsonSerializerOptions Snake = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>summary.json, and each folder's flight path (ok points in capture order).</summary>
    public static (JsonObject Summary, Dictionary<string, List<PointRow>> Paths) Summarise(IReadOnlyList<PointRow> rows, GpsAggregateOptions options)
    {
        var folders = new JsonObject();
        var paths = new Dictionary<string, List<PointRow>>(StringComparer.Ordinal);
        var allOutliers = new List<Outlier>();
        double siteTrack = 0;
        foreach (var group in rows.GroupBy(r => r.Folder, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var list = group.ToList();
            var ordered = SiteSummary.CaptureOrder(list);
            var track = SiteSummary.TrackLength(ordered);
            var outliers = SiteSummary.Outliers(ordered, options.OutlierFactor, options.OutlierMinM);
            paths[group.Key] = ordered;
            siteTrack += track;
            allOutliers.AddRange(outliers);
            folders[group.Key] = JsonSerializer.SerializeToNode(SiteSummary.Summarise(list, outliers, track), Snake);
        }
        // The site's track is its flights' tracks added up: the gaps between flights were not flown with the camera on.
        var site = JsonSerializer.SerializeToNode(SiteSummary.Summarise(rows, allOutliers, siteTrack), Snake)!;
        var summary = new JsonObject
        {
            ["site"] = site,
            ["folders"] = folders,
            ["notes"] = new JsonObject
            {
                ["positions"] = "statistics use ok positions only; suspect positions (null island, out of range, void fix) are in points.csv as recorded",
                ["track_length_m"] = "great-circle, through each folder's ok photos in capture order; the site's is the sum of its folders'",
                ["outliers"] = $"farther from the folder's median position than {options.OutlierFactor.ToString(CultureInfo.InvariantCulture)} × the folder's median distance to it, and than {options.OutlierMinM.ToString(CultureInfo.InvariantCulture)} m",
                ["duplicates"] = "photos with the same position (to 1e-7°) and the same capture time",
            },
        };
        return (summary, paths);
    }

    /// <summary>points.csv: the fixed header, then one row per image (RFC 4180 quoting).</summary>
    public static string Csv(IEnumerable<PointRow> rows)
    {
        var sb = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in rows)
        {
            var g = r.Gps;
            sb.Append(Field(r.Folder)).Append(',').Append(Field(r.File)).Append(',')
              .Append(Number(g.Latitude, "0.#########")).Append(',').Append(Number(g.Longitude, "0.#########")).Append(',')
              .Append(Number(g.AltitudeM, "0.###")).Append(',').Append(Number(g.RelativeAltitudeM, "0.###")).Append(',')
              .Append(Field(g.TakenAtText ?? "")).Append(',').Append(r.Status.Name()).Append(',').Append(Field(r.Reason ?? "")).Append('\n');
        }
        return sb.ToString();
    }

    private static string Number(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "";

    private static string Field(string s) =>
        s.AsSpan().IndexOfAny(",\"\r\n") < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";

    /// <summary>points.geojson: a Point per image with a position in range, and a LineString per folder.</summary>
    public static JsonObject GeoJson(IEnumerable<PointRow> rows, Dictionary<string, List<PointRow>> paths)
    {
        var features = new JsonArray();
        foreach (var r in rows)
        {
            if (r.Gps is not { Latitude: { } lat, Longitude: { } lon } || Math.Abs(lat) > 90 || Math.Abs(lon) > 180) continue;
            features.Add(new JsonObject
            {
                ["type"] = "Feature",
                ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat) },
                ["properties"] = new JsonObject
                {
                    ["folder"] = r.Folder, ["file"] = r.File, ["status"] = r.Status.Name(), ["reason"] = r.Reason,
                    ["altitude_m"] = r.Gps.AltitudeM, ["relative_altitude_m"] = r.Gps.RelativeAltitudeM, ["taken_at"] = r.Gps.TakenAtText,
                },
            });
        }
        foreach (var (folder, ordered) in paths.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (ordered.Count < 2) continue;
            var coordinates = new JsonArray();
            foreach (var p in ordered) coordinates.Add(new JsonArray(p.Longitude!.Value, p.Latitude!.Value));
            features.Add(new JsonObject
            {
                ["type"] = "Feature",
                ["geometry"] = new JsonObject { ["type"] = "LineString", ["coordinates"] = coordinates },
                ["properties"] = new JsonObject
                {
                    ["folder"] = folder, ["kind"] = "flight_path", ["photos"] = ordered.Count,
                    ["track_length_m"] = Math.Round(SiteSummary.TrackLength(ordered), 2),
                },
            });
        }
        return new JsonObject { ["type"] = "FeatureCollection", ["features"] = features };
    }

    // Outputs appear whole or not at all: a crash mid-write leaves no half file.
    private static async Task WriteAtomicallyAsync(string path, string content, CancellationToken ct)
    {
        var temp = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            await File.WriteAllTextAsync(temp, content, new UTF8Encoding(false), ct).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        finally { if (File.Exists(temp)) File.Delete(temp); }
    }
}
