namespace QcPipeline.SiteScan.Flight;

/// <summary>
/// The little that flight QC needs of one photo, kept for every photo of a site while the full reading waits on
/// disk (see <see cref="Spill.RowStore"/>): about 150 bytes a photo, so a site of 100,000 photos stays small.
/// Missing numbers are NaN (0 for the time and the hash).
/// </summary>
public struct PhotoFacts
{
    /// <summary>The file name.</summary>
    public string Name;
    /// <summary>Where the photo's full row is in the row store.</summary>
    public long Row;
    /// <summary>The reading's GPS status.</summary>
    public GpsStatus Status;
    /// <summary>Why the position is not usable, when it is not.</summary>
    public PositionIssue Issue;
    /// <summary>Position in signed decimal degrees; NaN: none.</summary>
    public double Lat, Lon;
    /// <summary>Capture instant as UTC ticks (the camera's clock read as UTC where it records no offset); 0: none.</summary>
    public long Ticks;
    /// <summary>Altitudes in metres: GPS, DJI relative (above take-off) and DJI absolute; NaN: not recorded.</summary>
    public double GpsAltitude, RelativeAltitude, AbsoluteAltitude;
    /// <summary>Gimbal pitch in degrees; NaN: not recorded.</summary>
    public float Pitch;
    /// <summary>Which way the camera looks: gimbal yaw, else the drone's heading (degrees).</summary>
    public float Yaw;
    /// <summary>Horizontal speed the drone recorded (m/s).</summary>
    public float Speed;
    /// <summary>Exposure time in seconds; NaN: not recorded.</summary>
    public float Exposure;
    /// <summary>Ground sample distance per metre of height (m/px per m): sensor width / (focal length × image width).</summary>
    public float GsdPerM;
    /// <summary>Footprint per metre of height along the image's short and long sides: sensor height / f, sensor width / f.</summary>
    public float FootShortPerM, FootLongPerM;
    /// <summary>Camera (make and model) number in the site's camera table; -1: none recorded.</summary>
    public short Camera;
    /// <summary>The RTK fix type (RtkFlag); -1: not recorded.</summary>
    public short Rtk;
    /// <summary>The EXIF and XMP header hash; 0: none.</summary>
    public ulong Hash;

    // Found by the analysis.
    /// <summary>What flight QC found wrong with the photo.</summary>
    public PhotoFlags Flags;
    /// <summary>Ground speed (m/s), motion blur (px), altitude off its line and that line's limit (m), distance from the folder's median position (m).</summary>
    public float GroundSpeed, BlurPx, AltitudeResidualM, AltitudeLimitM, DistanceFromMedianM;
    /// <summary>The photo this one duplicates ("folder/name" in another folder), or null.</summary>
    public string? DuplicateOf;

    /// <summary>A usable position (status ok).</summary>
    public readonly bool HasPosition => Status == GpsStatus.Ok && !double.IsNaN(Lat);
    /// <summary>A capture time is recorded.</summary>
    public readonly bool HasTime => Ticks != 0;

    /// <summary>The facts of one reading: its full row is at <paramref name="row"/>, its camera is number <paramref name="camera"/>.</summary>
    public static PhotoFacts From(string name, long row, GpsReading r, short camera)
    {
        var sensor = CameraModels.Sensor(r);
        var f = r.FocalLengthMm;
        var speed = r.FlightXSpeed is { } vx && r.FlightYSpeed is { } vy ? (float)Math.Sqrt(vx * vx + vy * vy) : float.NaN;
        return new PhotoFacts
        {
            Name = name,
            Row = row,
            Status = r.Status,
            Issue = r.PositionIssue,
            Lat = r.Latitude ?? double.NaN,
            Lon = r.Longitude ?? double.NaN,
            Ticks = r.TakenInstant?.UtcTicks ?? 0,
            GpsAltitude = r.AltitudeM ?? double.NaN,
            RelativeAltitude = r.RelativeAltitudeM ?? double.NaN,
            AbsoluteAltitude = r.AbsoluteAltitudeM ?? double.NaN,
            Pitch = (float)(r.GimbalPitchDeg ?? double.NaN),
            Yaw = (float)(r.GimbalYawDeg ?? r.FlightYawDeg ?? double.NaN),
            Speed = speed,
            Exposure = (float)(r.ExposureTimeS ?? double.NaN),
            GsdPerM = sensor is not null && f is { } fl && r.ImageWidth is { } w && r.ImageHeight is { } h
                ? (float)(sensor.WidthMm / (fl * Math.Max(w, h))) : float.NaN,
            FootShortPerM = sensor is not null && f is { } f1 ? (float)(sensor.HeightMm / f1) : float.NaN,
            FootLongPerM = sensor is not null && f is { } f2 ? (float)(sensor.WidthMm / f2) : float.NaN,
            Camera = camera,
            Rtk = (short)(r.RtkFlag ?? -1),
            Hash = r.HeaderHash ?? 0,
            GroundSpeed = float.NaN,
            BlurPx = float.NaN,
            AltitudeResidualM = float.NaN,
            AltitudeLimitM = float.NaN,
            DistanceFromMedianM = float.NaN,
        };
    }
}
