using QcPipeline.SiteScan.Flight;
using QcPipeline.Demo.Generation;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>
/// altitude_off on terrain-following flights: a generated lawnmower grid whose altitudes follow the ground under it
/// (a steady slope, or sharp ridges that turn from 9 m a photo up to 9 m a photo down), written as real JPEGs and
/// read back. The terrain alone flags nothing; a short run of photos flown off it is flagged, photo for photo, also
/// where it starts on a crest (one of its edges then hides in the slope's turn).
/// </summary>
public sealed class TerrainAltitudeTests : IDisposable
{
    private const double Spacing = 16; // 8 m/s every 2 s: metres between photos along a line
    private readonly string _dir = Directory.CreateTempSubdirectory("qc-terrain-").FullName;
    private static readonly FlightPlan Plan = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Metres along the grid's lines (bearing 37°) from the plan's origin.
    private static double Along(PlannedPhoto p)
    {
        var n = (p.Latitude!.Value - Plan.Latitude) * Math.PI / 180 * SiteSummary.EarthRadiusM;
        var e = (p.Longitude!.Value - Plan.Longitude) * Math.PI / 180 * SiteSummary.EarthRadiusM * Math.Cos(Plan.Latitude * Math.PI / 180);
        var b = Plan.GridBearingDeg * Math.PI / 180;
        return e * Math.Sin(b) + n * Math.Cos(b);
    }

    // The grid flown over a terrain (ground height by metres along the lines), the drone at a steady height above it.
    private static List<PlannedPhoto> Over(Func<double, double> ground) => FlightPlans.Lawnmower("grid", Plan).Select(p =>
    {
        var g = ground(Along(p));
        return p with { RelativeAltitude = p.RelativeAltitude + g, AbsoluteAltitude = p.AbsoluteAltitude + g, GpsAltitude = p.GpsAltitude + g };
    }).ToList();

    private static double Slope(double along) => 9 / Spacing * along;

    // Ridges every eight photos: four photos up at 9 m a photo, four down; crests at 64 m, 192 m, 320 m along.
    private static double Ridges(double along)
    {
        var phase = ((along % 128) + 128) % 128;
        return 9 / Spacing * (64 - Math.Abs(phase - 64));
    }

    private static List<PlannedPhoto> Raised(List<PlannedPhoto> flight, int first, int count, double metres)
    {
        var copy = flight.ToList();
        for (var i = first; i < first + count; i++)
            copy[i] = copy[i] with { RelativeAltitude = copy[i].RelativeAltitude + metres, AbsoluteAltitude = copy[i].AbsoluteAltitude + metres, GpsAltitude = copy[i].GpsAltitude + metres };
        return copy;
    }

    private List<string> AltitudeOff(List<PlannedPhoto> flight)
    {
        using var site = new HeaderRun(flight).Analyse(new GpsAggregateOptions(), _dir).Site;
        Assert.Equal(flight.Count, site.Folders.Single().Photos.Count);
        return site.Folders.Single().Photos.Where(p => (p.Flags & PhotoFlags.AltitudeOff) != 0).Select(p => p.Name).Order().ToList();
    }

    private static int CrestOfLine(List<PlannedPhoto> flight, int line) =>
        Enumerable.Range(line * 24 + line * 2, 24).MinBy(i => Math.Abs(Along(flight[i]) - 192)); // lines of 24, U-turns of 2 photos

    [Fact]
    public void A_steady_slope_or_sharp_ridges_flag_no_photo()
    {
        Assert.Empty(AltitudeOff(Over(Slope)));
        Assert.Empty(AltitudeOff(Over(Ridges)));
    }

    [Fact]
    public void A_short_run_flown_off_a_steady_slope_is_flagged_photo_for_photo()
    {
        var flight = Over(Slope);
        var raised = Raised(flight, 60, 4, 18);
        Assert.Equal(raised.Skip(60).Take(4).Select(p => p.Name).Order(), AltitudeOff(raised));
    }

    // Three photos 20–25 m off, starting from four photos before the crest of line 4 to one after it: each run has
    // an edge where the slope turns (9 m a photo up to 9 m down), blurred or hidden there.
    [Theory]
    [InlineData(0, -25)]
    [InlineData(0, 25)]
    [InlineData(-2, 25)]
    [InlineData(-2, -25)]
    [InlineData(-1, -22)]
    [InlineData(-1, 22)]
    [InlineData(1, 20)]
    [InlineData(-3, -20)]
    [InlineData(-4, 20)]
    [InlineData(-4, -20)]
    public void A_short_run_at_a_ridge_crest_is_flagged_photo_for_photo(int fromCrest, double metres)
    {
        var flight = Over(Ridges);
        var first = CrestOfLine(flight, 3) + fromCrest;
        var off = Raised(flight, first, 3, metres);
        Assert.Equal(off.Skip(first).Take(3).Select(p => p.Name).Order(), AltitudeOff(off));
    }
}
