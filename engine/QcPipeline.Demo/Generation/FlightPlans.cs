namespace QcPipeline.Demo.Generation;

/// <summary>How a generated flight is flown and shot.</summary>
public sealed record FlightPlan
{
    /// <summary>Where the flight starts (the grid's corner, the orbit's centre).</summary>
    public double Latitude { get; init; } = 47.0832;
    /// <summary>Where the flight starts (the grid's corner, the orbit's centre).</summary>
    public double Longitude { get; init; } = 8.2717;
    /// <summary>Ground height above sea level, metres.</summary>
    public double GroundAltitude { get; init; } = 512;
    /// <summary>The first photo's local time.</summary>
    public DateTime Start { get; init; } = new(2025, 9, 14, 10, 5, 0);
    /// <summary>The local time's offset from UTC.</summary>
    public TimeSpan UtcOffset { get; init; } = TimeSpan.FromHours(2);
    /// <summary>Flight height above take-off, metres.</summary>
    public double HeightM { get; init; } = 80;
    /// <summary>Ground speed, metres a second.</summary>
    public double SpeedMs { get; init; } = 8;
    /// <summary>Seconds between photos.</summary>
    public double IntervalS { get; init; } = 2;
    /// <summary>Lawnmower: lines, photos per line, the lines' spacing and the grid's bearing.</summary>
    public int Lines { get; init; } = 8;
    /// <summary>Photos on each line.</summary>
    public int PhotosPerLine { get; init; } = 24;
    /// <summary>Metres between lines.</summary>
    public double LineSpacingM { get; init; } = 30;
    /// <summary>The lines' bearing, degrees from north.</summary>
    public double GridBearingDeg { get; init; } = 37;
    /// <summary>Orbit: radius, photos per turn, turns, climb per turn, gimbal pitch.</summary>
    public double RadiusM { get; init; } = 40;
    /// <summary>Photos on each turn of an orbit.</summary>
    public int PhotosPerTurn { get; init; } = 36;
    /// <summary>Turns flown.</summary>
    public double Turns { get; init; } = 2;
    /// <summary>Metres climbed each turn (0: a flat orbit).</summary>
    public double ClimbPerTurnM { get; init; }
    /// <summary>The orbit's gimbal pitch, degrees (negative: down).</summary>
    public double OrbitPitchDeg { get; init; } = -30;
    /// <summary>Noise on positions (σ, metres) and on the barometric altitude.</summary>
    public double GpsNoiseM { get; init; } = 0.8;
    /// <summary>Noise on the barometric altitude (σ, metres).</summary>
    public double AltitudeNoiseM { get; init; } = 0.3;
    /// <summary>Exposure time, seconds.</summary>
    public double ExposureS { get; init; } = 1.0 / 1000;
    /// <summary>DJI's RtkFlag (50: fixed), or null for a drone without RTK.</summary>
    public int? RtkFlag { get; init; }
    /// <summary>The camera model written.</summary>
    public string Model { get; init; } = "FC6310S";
    /// <summary>The camera's file counter at the first photo.</summary>
    public int FirstNumber { get; init; } = 1;
    /// <summary>Seed of the noise.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Generated flights with every header field a DJI mapping drone writes: a lawnmower grid (lines joined by
/// U-turns that take photos too) and an orbit (optionally a spiral climb), with GPS and barometer noise,
/// speeds, gimbal and heading, camera settings (Phantom 4 Pro V2: 8.8 mm on a 1" sensor, 5472 × 3648) and DJI
/// file names. Deterministic for a seed.
/// </summary>
public static class FlightPlans
{
    /// <summary>The Phantom 4 Pro V2's camera: 8.8 mm (24 mm equivalent), 5472 × 3648, ISO 100.</summary>
    public static readonly CameraSettings Phantom4Pro = new()
    {
        FocalLength = 8.8, FocalLength35mm = 24, PixelWidth = 5472, PixelHeight = 3648, Iso = 100,
    };

    /// <summary>A lawnmower grid, its U-turns included, in <paramref name="folder"/>.</summary>
    public static List<PlannedPhoto> Lawnmower(string folder, FlightPlan plan)
    {
        var random = new Random(plan.Seed);
        var points = new List<(double E, double N, double Heading)>();
        var spacing = plan.SpeedMs * plan.IntervalS;
        for (var line = 0; line < plan.Lines; line++)
        {
            var forward = line % 2 == 0;
            for (var k = 0; k < plan.PhotosPerLine; k++)
            {
                var along = (forward ? k : plan.PhotosPerLine - 1 - k) * spacing;
                points.Add((along, line * plan.LineSpacingM, forward ? 90 : 270));
            }
            if (line == plan.Lines - 1) break;
            // The U-turn: photos on a half circle beyond the line's end, at the usual interval.
            var r = plan.LineSpacingM / 2;
            var endAlong = forward ? (plan.PhotosPerLine - 1) * spacing : 0;
            var turnPhotos = Math.Max(1, (int)Math.Round(Math.PI * r / spacing) - 1);
            for (var k = 1; k <= turnPhotos; k++)
            {
                var a = Math.PI * k / (turnPhotos + 1);
                points.Add((endAlong + (forward ? 1 : -1) * r * Math.Sin(a), line * plan.LineSpacingM + r - r * Math.Cos(a), forward ? 0 : 180));
            }
        }
        return Photos(folder, plan, random, points.Select(p =>
        {
            var (e, n) = Rotate(p.E, p.N, plan.GridBearingDeg - 90);
            return (e, n, plan.HeightM, -90.0 + random.NextDouble() * 0.4, Normalise(p.Heading + plan.GridBearingDeg - 90), Normalise(p.Heading + plan.GridBearingDeg - 90));
        }).ToList());
    }

    /// <summary>An orbit (a spiral with <see cref="FlightPlan.ClimbPerTurnM"/>), camera on the centre, in <paramref name="folder"/>.</summary>
    public static List<PlannedPhoto> Orbit(string folder, FlightPlan plan)
    {
        var random = new Random(plan.Seed);
        var count = (int)Math.Round(plan.PhotosPerTurn * plan.Turns);
        var points = Enumerable.Range(0, count).Select(i =>
        {
            var a = 2 * Math.PI * i / plan.PhotosPerTurn;
            var (e, n) = (plan.RadiusM * Math.Sin(a), plan.RadiusM * Math.Cos(a));
            var towards = Normalise(Math.Atan2(-e, -n) * 180 / Math.PI);
            var travel = Normalise(a * 180 / Math.PI + 90);
            return (e, n, plan.HeightM + plan.ClimbPerTurnM * i / plan.PhotosPerTurn, plan.OrbitPitchDeg, towards, travel);
        }).ToList();
        var circumference = 2 * Math.PI * plan.RadiusM;
        return Photos(folder, plan with { SpeedMs = circumference / plan.PhotosPerTurn / plan.IntervalS }, random, points);
    }

    private static List<PlannedPhoto> Photos(string folder, FlightPlan plan, Random random,
        List<(double E, double N, double Height, double Pitch, double Yaw, double Travel)> points)
    {
        var photos = new List<PlannedPhoto>();
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            var (lat, lon) = SiteGenerator.Offset(plan.Latitude, plan.Longitude, p.E + Gauss(random) * plan.GpsNoiseM, p.N + Gauss(random) * plan.GpsNoiseM);
            var taken = plan.Start.AddSeconds(i * plan.IntervalS);
            var rad = p.Travel * Math.PI / 180;
            var height = p.Height + Gauss(random) * plan.AltitudeNoiseM;
            photos.Add(new PlannedPhoto
            {
                Folder = folder,
                Name = $"DJI_{taken:yyyyMMddHHmmss}_{(plan.FirstNumber + i - 1) % 9999 + 1:0000}_D.JPG",
                TakenAt = taken, UtcOffset = plan.UtcOffset,
                Latitude = Math.Round(lat, 8), Longitude = Math.Round(lon, 8),
                RelativeAltitude = Math.Round(height, 2),
                AbsoluteAltitude = Math.Round(plan.GroundAltitude + height + 31.2, 2), // DJI's absolute altitude: offset from GPS's
                GpsAltitude = Math.Round(plan.GroundAltitude + height + Gauss(random) * 2, 2),
                GimbalPitch = Math.Round(p.Pitch, 1), GimbalYaw = Math.Round(p.Yaw, 1), FlightYaw = Math.Round(p.Yaw, 1),
                SpeedNorth = Math.Round(plan.SpeedMs * Math.Cos(rad), 2), SpeedEast = Math.Round(plan.SpeedMs * Math.Sin(rad), 2), SpeedDown = 0,
                Model = plan.Model,
                Camera = Phantom4Pro with { ExposureTime = plan.ExposureS },
                RtkFlag = plan.RtkFlag,
            });
        }
        return photos;
    }

    private static (double E, double N) Rotate(double e, double n, double degrees)
    {
        var r = -degrees * Math.PI / 180;
        return (e * Math.Cos(r) - n * Math.Sin(r), e * Math.Sin(r) + n * Math.Cos(r));
    }

    private static double Gauss(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    private static double Normalise(double deg) => deg > 180 ? deg - 360 : deg <= -180 ? deg + 360 : deg;
}
