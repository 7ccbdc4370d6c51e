using System.Globalization;
using System.Text.RegularExpressions;
using CsvHelper;

namespace QcPipeline.Demo.Generation;

/// <summary>
/// A real survey's photos as exiftool tabulated them (<c>exiftool -csv</c> with SourceFile, FileName,
/// DateTimeOriginal, GPSLatitude/GPSLongitude as exiftool's DMS text, AbsoluteAltitude, GimbalPitchDegree,
/// FlightYawDegree), turned into photos to write: real positions, times, altitudes, gimbal and heading. The
/// folder is the one the photo was in. What the table does not hold stays out (no relative altitude, no speeds,
/// no exposure); the camera is the generator's usual one, since the table names none.
/// </summary>
public static partial class SurveyLog
{
    /// <summary>The table's photos, by folder and capture time.</summary>
    public static List<PlannedPhoto> Read(string csvPath)
    {
        using var stream = File.OpenRead(csvPath);
        using var csv = CsvReader.Create(stream, null, leaveOpen: false);
        var photos = new List<PlannedPhoto>();
        while (csv.Read())
        {
            var source = csv.GetString("SourceFile").Replace('\\', '/');
            var parts = source.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var folder = parts.Length >= 2 ? parts[^2] : ".";
            var taken = DateTime.ParseExact(csv.GetString("DateTimeOriginal"), "yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture);
            var altitude = Number(csv.GetString("AbsoluteAltitude"));
            photos.Add(new PlannedPhoto
            {
                Folder = folder,
                Name = csv.GetString("FileName"),
                TakenAt = taken,
                Latitude = Degrees(csv.GetString("GPSLatitude")),
                Longitude = Degrees(csv.GetString("GPSLongitude")),
                GpsAltitude = altitude,
                AbsoluteAltitude = altitude,
                GimbalPitch = Number(csv.GetString("GimbalPitchDegree")),
                FlightYaw = Number(csv.GetString("FlightYawDegree")),
                GimbalYaw = Number(csv.GetString("FlightYawDegree")),
            });
        }
        return photos.OrderBy(p => p.Folder, StringComparer.Ordinal).ThenBy(p => p.TakenAt).ThenBy(p => p.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>exiftool's "8 deg 17' 39.30\" S" as signed decimal degrees (or a plain number).</summary>
    public static double? Degrees(string text)
    {
        var m = Dms().Match(text);
        if (!m.Success) return Number(text);
        var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) / 60
              + double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) / 3600;
        return m.Groups[4].Value is "S" or "W" ? -v : v;
    }

    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    [GeneratedRegex("""^\s*(\d+) deg (\d+)' ([\d.]+)" ([NSEW])\s*$""")]
    private static partial Regex Dms();
}
