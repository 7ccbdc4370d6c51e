namespace QcPipeline.Demo.Generation;

/// <summary>
/// One drone photo to write, with everything its headers should hold: position, time, altitudes, DJI gimbal and
/// flight data, camera settings, RTK fix. Null leaves a field out (a photo without GPS, without gimbal data).
/// Flight plans and real survey logs become these; fault injection changes them.
/// </summary>
public sealed record PlannedPhoto
{
    /// <summary>The folder (flight) it is written to.</summary>
    public required string Folder { get; init; }
    /// <summary>The file name.</summary>
    public required string Name { get; init; }
    /// <summary>Local capture time.</summary>
    public DateTime TakenAt { get; init; }
    /// <summary>The capture time's UTC offset (in XMP, as DJI writes it).</summary>
    public TimeSpan? UtcOffset { get; init; }
    /// <summary>Signed degrees (EXIF GPS and XMP), or null for a photo without GPS.</summary>
    public double? Latitude { get; init; }
    /// <summary>Signed degrees (EXIF GPS and XMP), or null for a photo without GPS.</summary>
    public double? Longitude { get; init; }
    /// <summary>EXIF GPSAltitude.</summary>
    public double? GpsAltitude { get; init; }
    /// <summary>Height above take-off, metres.</summary>
    public double? RelativeAltitude { get; init; }
    /// <summary>DJI's barometric altitude above sea level, metres.</summary>
    public double? AbsoluteAltitude { get; init; }
    /// <summary>Gimbal pitch, degrees.</summary>
    public double? GimbalPitch { get; init; }
    /// <summary>Gimbal yaw, degrees.</summary>
    public double? GimbalYaw { get; init; }
    /// <summary>The drone's heading, degrees.</summary>
    public double? FlightYaw { get; init; }
    /// <summary>Speed north, metres a second.</summary>
    public double? SpeedNorth { get; init; }
    /// <summary>Speed east, metres a second.</summary>
    public double? SpeedEast { get; init; }
    /// <summary>Speed down, metres a second.</summary>
    public double? SpeedDown { get; init; }
    /// <summary>Camera make (EXIF and XMP).</summary>
    public string? Make { get; init; } = "DJI";
    /// <summary>Camera model (EXIF and XMP).</summary>
    public string? Model { get; init; } = "FC6310S";
    /// <summary>Exposure and optics, or null for none.</summary>
    public CameraSettings? Camera { get; init; }
    /// <summary>DJI's RtkFlag (with RTK standard deviations), or null for none.</summary>
    public int? RtkFlag { get; init; }

    /// <summary>The photo as a small real JPEG (a 16×16 picture: flight QC reads only the headers).</summary>
    public JpegBuilder Builder(int width = 16, int height = 16) => new()
    {
        Width = width,
        Height = height,
        Make = Make,
        Model = Model,
        TakenAt = TakenAt,
        Camera = Camera,
        Gps = Latitude is { } lat && Longitude is { } lon ? GpsEntries.Position(lat, lon, GpsAltitude) : null,
        Xmp = new DjiXmp
        {
            Make = Make, Model = Model, CreateDate = TakenAt, CreateDateOffset = UtcOffset,
            Latitude = Latitude, Longitude = Longitude, AbsoluteAltitude = AbsoluteAltitude, RelativeAltitude = RelativeAltitude,
            GimbalPitchDegree = GimbalPitch, GimbalYawDegree = GimbalYaw, FlightYawDegree = FlightYaw,
            FlightXSpeed = SpeedNorth, FlightYSpeed = SpeedEast, FlightZSpeed = SpeedDown, RtkFlag = RtkFlag,
            RtkStdLon = RtkFlag is null ? null : 0.012, RtkStdLat = RtkFlag is null ? null : 0.011, RtkStdHgt = RtkFlag is null ? null : 0.021,
        },
    };

    /// <summary>Writes each photo under <paramref name="root"/>/Folder/Name; returns the paths.</summary>
    public static IReadOnlyList<string> WriteAll(string root, IEnumerable<PlannedPhoto> photos)
    {
        var list = photos.ToList();
        var paths = list.Select(p => Path.Combine(root, p.Folder, p.Name)).ToArray();
        foreach (var dir in paths.Select(Path.GetDirectoryName).Distinct()) Directory.CreateDirectory(dir!);
        Parallel.For(0, list.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) },
            i => File.WriteAllBytes(paths[i], list[i].Builder().Build()));
        return paths;
    }
}
