namespace QcPipeline.SiteScan.Flight;

/// <summary>
/// The little that flight QC needs of one photo, kept for every photo of a site while the full reading waits on
/// disk (see <see cref="RowStore"/>): about 150 bytes a photo, so a site of 100,000 photos stays small.
/// Missing numbers are NaN (0 for the time and the hash).
/// </summary>
public struct PhotoFacts
{
    public string Name;
    /// <summary>Where the photo's full row is in the row store.</summary>
    public long Row;
    public GpsStatus Status;
    public PositionIssue Issue;
    public double Lat, Lon;
    /// <summary>Capture instant as UTC ticks (the camera's clock read as UTC where it records no offset); 0: none.</summary>
    public long Ticks;
    public double GpsAltitude, RelativeAltitude, AbsoluteAltitude;
    public float Pitch;
    /// <summary>Which way the camera looks: gimbal yaw, else the drone's heading (degrees).</summary>
    public float Yaw;
    /// <summary>Horizontal speed the drone recorded (m/s).</summary>
    public float Speed;
    public float Exposure;
    /// <summary>Ground sample distance per metre of height (m/px per m): sensor width / (focal length × image width).</summary>
    public float GsdPerM;
    /// <summary>Footprint per metre of height along the image's short and long sides: sensor height / f, sensor width / f.</summary>
    public float FootShortPerM, FootLongPerM;
    /// <summary>Camera (make and model) number in the site's camera table; -1: none recorded.</summary>
    public short Camera;
    public short Rtk;
    public ulong Hash;

    // Found by the analysis.
    public PhotoFlags Flags;
    public float GroundSpeed, BlurPx, AltitudeResidualM, AltitudeLimitM, DistanceFromMedianM;
    /// <summary>The photo this one duplicates ("folder/name" in another folder), or null.</summary>
    public string? DuplicateOf;

    public readonly bool HasPosition => Status == GpsStatus.Ok && !double.IsNaN(Lat);
    public readonly bool HasTime => Ticks != 0;

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
