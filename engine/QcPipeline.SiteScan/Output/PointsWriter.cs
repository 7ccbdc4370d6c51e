using System.Text.Encodings.Web;
using System.Text.Json;
using CsvHelper;
using QcPipeline.SiteScan.Flight;

namespace QcPipeline.SiteScan.Output;

/// <summary>
/// Writes points.csv and points.geojson in one pass over the site, a folder at a time and a row at a time (nothing
/// is built in memory): one row and one GeoJSON Point per photo, in folder and file order, with its reading, flags
/// and their details; after each folder's points, a LineString for its flight path (the photos of the flight in
/// capture order) and one per gap. points.csv is RFC 4180 by CsvHelper, with text that a spreadsheet would run as a
/// formula (=, +, -, @ first) escaped with a leading apostrophe; numbers are numbers.
/// </summary>
internal sealed class PointsWriter : IDisposable
{
    public static readonly string[] Columns =
    [
        "folder", "file", "latitude", "longitude", "altitude_m", "relative_altitude_m", "taken_at", "status", "reason",
        "flags", "flag_details", "make", "model", "image_width", "image_height", "exposure_time_s", "iso", "focal_length_mm",
        "absolute_altitude_m", "gimbal_pitch_deg", "gimbal_yaw_deg", "flight_yaw_deg", "flight_x_speed_ms", "flight_y_speed_ms",
        "flight_z_speed_ms", "rtk_flag", "rtk_std_lon_m", "rtk_std_lat_m", "rtk_std_hgt_m",
    ];

    private static readonly CsvWriterOptions Csv = CsvWriterOptions.Default with { Injection = CsvInjection.Escape, NewLine = "\n" };

    private static readonly JsonWriterOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    private readonly CsvWriter _csv;
    private readonly Utf8JsonWriter _geo;

    public PointsWriter(Stream csvOut, Stream geoOut)
    {
        _csv = CsvWriter.Create(csvOut, Csv, leaveOpen: true);
        _geo = new Utf8JsonWriter(geoOut, Json);
        _csv.WriteHeader(Columns);
        _geo.WriteStartObject();
        _geo.WriteString("type", "FeatureCollection");
        _geo.WriteStartArray("features");
    }

    /// <summary>Both files for a site analysed whole (<see cref="SiteAnalysis.Finish"/>).</summary>
    public static void Write(SiteAnalysis site, GpsAggregateOptions options, Stream csvOut, Stream geoOut)
    {
        using var writer = new PointsWriter(csvOut, geoOut);
        foreach (var folder in site.Folders) writer.Folder(folder, site, options);
        writer.Finish();
    }

    /// <summary>One folder's rows and features; <paramref name="each"/> sees every photo as it is written.</summary>
    public void Folder(SiteFolder folder, SiteAnalysis site, GpsAggregateOptions options, Action<SiteFolder, PhotoFacts, GpsReading, List<string>>? each = null)
    {
        foreach (var f in folder.Photos)
        {
            var r = site.Rows.Get(f.Row);
            var details = FlagDetails.Describe(f, folder.Flight, site.Cameras, options, r);
            Row(_csv, folder.Name, f, r, details);
            if (r is { Latitude: { } lat, Longitude: { } lon } && Math.Abs(lat) <= 90 && Math.Abs(lon) <= 180) Point(_geo, folder.Name, f, r, details, lon, lat);
            each?.Invoke(folder, f, r, details);
            if (_geo.BytesPending > 1 << 16) _geo.Flush();
        }
        Lines(_geo, folder);
    }

    public void Finish()
    {
        _geo.WriteEndArray();
        _geo.WriteEndObject();
        _geo.Flush();
        _csv.Flush();
    }

    public void Dispose()
    {
        _csv.Dispose();
        _geo.Dispose();
    }

    private static void Row(CsvWriter csv, string folder, in PhotoFacts f, GpsReading r, List<string> details)
    {
        csv.WriteField(folder);
        csv.WriteField(f.Name);
        csv.WriteField(r.Latitude, "0.#########");
        csv.WriteField(r.Longitude, "0.#########");
        csv.WriteField(r.AltitudeM, "0.###");
        csv.WriteField(r.RelativeAltitudeM, "0.###");
        csv.WriteField(r.TakenAtText);
        csv.WriteField(r.Status.Name());
        csv.WriteField(r.Reason);
        csv.WriteField(PhotoFlagNames.Joined(f.Flags));
        csv.WriteField(string.Join("; ", details));
        csv.WriteField(r.Make);
        csv.WriteField(r.Model);
        csv.WriteField(r.ImageWidth, "");
        csv.WriteField(r.ImageHeight, "");
        csv.WriteField(r.ExposureTimeS, "0.#######");
        csv.WriteField(r.Iso, "0.##");
        csv.WriteField(r.FocalLengthMm, "0.###");
        csv.WriteField(r.AbsoluteAltitudeM, "0.###");
        csv.WriteField(r.GimbalPitchDeg, "0.##");
        csv.WriteField(r.GimbalYawDeg, "0.##");
        csv.WriteField(r.FlightYawDeg, "0.##");
        csv.WriteField(r.FlightXSpeed, "0.##");
        csv.WriteField(r.FlightYSpeed, "0.##");
        csv.WriteField(r.FlightZSpeed, "0.##");
        csv.WriteField(r.RtkFlag, "");
        csv.WriteField(r.RtkStdLonM, "0.#####");
        csv.WriteField(r.RtkStdLatM, "0.#####");
        csv.WriteField(r.RtkStdHgtM, "0.#####");
        csv.EndRecord();
    }

    private static void Point(Utf8JsonWriter geo, string folder, in PhotoFacts f, GpsReading r, List<string> details, double lon, double lat)
    {
        geo.WriteStartObject();
        geo.WriteString("type", "Feature");
        geo.WriteStartObject("geometry");
        geo.WriteString("type", "Point");
        geo.WriteStartArray("coordinates");
        geo.WriteNumberValue(lon);
        geo.WriteNumberValue(lat);
        geo.WriteEndArray();
        geo.WriteEndObject();
        geo.WriteStartObject("properties");
        geo.WriteString("folder", folder);
        geo.WriteString("file", f.Name);
        geo.WriteString("status", r.Status.Name());
        geo.WriteString("reason", r.Reason);
        geo.WriteStartArray("flags");
        foreach (var name in PhotoFlagNames.Names(f.Flags)) geo.WriteStringValue(name);
        geo.WriteEndArray();
        geo.WriteStartArray("flag_details");
        foreach (var d in details) geo.WriteStringValue(d);
        geo.WriteEndArray();
        geo.WriteString("taken_at", r.TakenAtText);
        Number(geo, "altitude_m", r.AltitudeM); Number(geo, "relative_altitude_m", r.RelativeAltitudeM);
        Number(geo, "absolute_altitude_m", r.AbsoluteAltitudeM);
        geo.WriteString("make", r.Make); geo.WriteString("model", r.Model);
        Number(geo, "image_width", r.ImageWidth); Number(geo, "image_height", r.ImageHeight);
        Number(geo, "exposure_time_s", r.ExposureTimeS); Number(geo, "iso", r.Iso); Number(geo, "focal_length_mm", r.FocalLengthMm);
        Number(geo, "gimbal_pitch_deg", r.GimbalPitchDeg); Number(geo, "gimbal_yaw_deg", r.GimbalYawDeg); Number(geo, "flight_yaw_deg", r.FlightYawDeg);
        Number(geo, "flight_x_speed_ms", r.FlightXSpeed); Number(geo, "flight_y_speed_ms", r.FlightYSpeed); Number(geo, "flight_z_speed_ms", r.FlightZSpeed);
        Number(geo, "rtk_flag", r.RtkFlag); Number(geo, "rtk_std_lon_m", r.RtkStdLonM); Number(geo, "rtk_std_lat_m", r.RtkStdLatM);
        Number(geo, "rtk_std_hgt_m", r.RtkStdHgtM);
        geo.WriteEndObject();
        geo.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter geo, string name, double? v)
    {
        if (v is { } x) geo.WriteNumber(name, x);
        else geo.WriteNull(name);
    }

    // Each folder's flight path (the photos its flight analysis used, in capture order) and its gaps.
    private static void Lines(Utf8JsonWriter geo, SiteFolder folder)
    {
        var path = SiteSummary.FlightOrder(folder.Photos);
        if (path.Count >= 2)
        {
            Feature(geo, path.Select(i => (folder.Photos[i].Lon, folder.Photos[i].Lat)), w =>
            {
                w.WriteString("folder", folder.Name);
                w.WriteString("kind", "flight_path");
                w.WriteNumber("photos", path.Count);
                w.WriteNumber("track_length_m", Math.Round(SiteSummary.TrackLength(folder.Photos, path), 2));
            });
        }
        foreach (var g in folder.Flight.Gaps)
        {
            var (a, b) = (folder.Photos.Find(p => p.Name == g.After), folder.Photos.Find(p => p.Name == g.Before));
            Feature(geo, [(a.Lon, a.Lat), (b.Lon, b.Lat)], w =>
            {
                w.WriteString("folder", folder.Name);
                w.WriteString("kind", "gap");
                w.WriteString("after", g.After);
                w.WriteString("before", g.Before);
                w.WriteNumber("length_m", g.LengthM);
                w.WriteNumber("missing_photos", g.MissingPhotos);
            });
        }
    }

    private static void Feature(Utf8JsonWriter geo, IEnumerable<(double Lon, double Lat)> line, Action<Utf8JsonWriter> properties)
    {
        geo.WriteStartObject();
        geo.WriteString("type", "Feature");
        geo.WriteStartObject("geometry");
        geo.WriteString("type", "LineString");
        geo.WriteStartArray("coordinates");
        foreach (var (lon, lat) in line)
        {
            geo.WriteStartArray();
            geo.WriteNumberValue(lon);
            geo.WriteNumberValue(lat);
            geo.WriteEndArray();
        }
        geo.WriteEndArray();
        geo.WriteEndObject();
        geo.WriteStartObject("properties");
        properties(geo);
        geo.WriteEndObject();
        geo.WriteEndObject();
    }
}
