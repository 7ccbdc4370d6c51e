using QcPipeline.SiteScan.Flight;
using QcPipeline.Demo.Generation;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>
/// Flight QC on generated flights whose answers are known by construction (lawnmower grids and orbits with GPS and
/// barometer noise, every DJI header field), each photo written as a real JPEG and read back from its bytes.
/// </summary>
public sealed class FlightQcTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qc-flightqc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private SiteAnalysis Analyse(IReadOnlyList<PlannedPhoto> photos, GpsAggregateOptions? options = null) =>
        new HeaderRun(photos).Analyse(options ?? new GpsAggregateOptions(), _dir).Site;

    private static List<PlannedPhoto> Grid(FlightPlan? plan = null) => FlightPlans.Lawnmower("grid", plan ?? new FlightPlan());

    [Fact]
    public void A_clean_lawnmower_grid_has_its_lines_no_gap_no_flag_and_the_overlap_its_geometry_gives()
    {
        using var site = Analyse(Grid());
        var f = site.Folders.Single().Flight;
        Assert.Equal("lawnmower", f.Pattern);
        Assert.Equal(8, f.Lines.Count);
        Assert.All(f.Lines, l => Assert.Equal(("straight", 24), (l.Kind, l.Photos)));
        Assert.All(f.Lines, l => Assert.InRange(l.SpacingM, 15, 17)); // 8 m/s every 2 s
        Assert.All(f.Lines, l => Assert.InRange(Plane.AxisAngle(37, l.HeadingDeg!.Value), 0, 2)); // the grid's bearing, both ways
        Assert.Empty(f.Gaps);
        Assert.Empty(f.Pauses);
        Assert.Equal(0, f.Flagged);
        Assert.Equal(Verdicts.Ok, f.Verdict.Status);
        // 80 m up, 8.8 mm on a 13.2 × 8.8 mm sensor: 80 m along the track (the image's short side) and 120 m across;
        // photos 16 m apart and lines 30 m apart give 80 % forward and 75 % side overlap.
        var o = f.Overlap!;
        Assert.InRange(o.Forward!.Value, 0.78, 0.82);
        Assert.InRange(o.Side!.Value, 0.73, 0.77);
        Assert.InRange(o.LineSpacingM!.Value, 29, 31);
        Assert.InRange(o.FootprintAcrossM, 118, 122);
        Assert.True(f.LooksDown);
    }

    [Fact]
    public void A_clean_orbit_is_one_orbit_line_with_its_radius_and_an_oblique_camera_is_no_finding()
    {
        using var site = Analyse(FlightPlans.Orbit("orbit", new FlightPlan { ClimbPerTurnM = 8 }));
        var f = site.Folders.Single().Flight;
        Assert.Equal("orbit", f.Pattern);
        var line = Assert.Single(f.Lines);
        Assert.Equal("orbit", line.Kind);
        Assert.InRange(line.RadiusM!.Value, 38, 42);
        Assert.InRange(line.Photos, 66, 72); // of 72: the run may stop a photo or three before the end
        Assert.Empty(f.Gaps);
        Assert.Equal(0, f.Flagged);
        Assert.False(f.LooksDown); // gimbal at -30°: an inspection orbit, not flagged photo by photo
        Assert.Null(f.Overlap);
        // With nadir_check: always, every photo of it is off nadir.
        using var strict = Analyse(FlightPlans.Orbit("orbit", new FlightPlan()), new GpsAggregateOptions { NadirCheck = NadirCheck.Always });
        Assert.All(strict.Folders[0].Photos, p => Assert.True((p.Flags & PhotoFlags.NotNadir) != 0));
    }

    [Theory]
    [InlineData("lawnmower", 1)]
    [InlineData("lawnmower", 2)]
    [InlineData("orbit", 1)]
    [InlineData("orbit", 2)]
    public void Every_injected_fault_is_found_and_no_clean_photo_is_flagged(string pattern, int seed)
    {
        var flight = pattern == "orbit"
            ? FlightPlans.Orbit("orbit", new FlightPlan { Seed = seed, RtkFlag = 50, ClimbPerTurnM = 8 })
            : FlightPlans.Lawnmower("grid", new FlightPlan { Seed = seed, RtkFlag = 50 });
        // An oblique orbit's gimbal level or up is no fault of it.
        var plan = pattern == "orbit" ? FaultPlan.Everything with { GimbalLevel = 0, GimbalUp = 0 } : FaultPlan.Everything;
        var truth = FlightFaults.Inject(flight, plan, seed);
        var (photos, gaps, site) = new HeaderRun(truth.Photos).Analyse(new GpsAggregateOptions(), _dir);
        using (site)
        {
            var score = FaultScore.Of(truth, photos, gaps);
            Assert.True(score.Misses.Count == 0, string.Join("\n", score.Misses));
            Assert.Equal(truth.Expected.Values.Distinct().Count(), score.ByFlag.Count);
            Assert.All(score.ByFlag, x => Assert.Equal(x.Value.Injected, x.Value.Found));
            Assert.Equal(0, score.CleanFlagged);
            Assert.Equal(score.RemovedPhotos, score.RemovedCovered);
            Assert.Equal(score.ReportedGaps, score.RealGaps);
            Assert.NotEqual(Verdicts.Ok, site.Folders[0].Flight.Verdict.Status);
        }
    }

    [Fact]
    public void A_gap_names_the_photos_either_side_and_estimates_what_is_missing()
    {
        var flight = Grid();
        var removed = flight.Skip(5).Take(3).Select(p => p.Name).ToHashSet();
        using var site = Analyse(flight.Where(p => !removed.Contains(p.Name)).ToList());
        var f = site.Folders[0].Flight;
        var gap = Assert.Single(f.Gaps);
        Assert.Equal((flight[4].Name, flight[8].Name, 3, 0), (gap.After, gap.Before, gap.MissingPhotos, gap.Line));
        Assert.InRange(gap.LengthM, 60, 68); // four steps of 16 m
        Assert.InRange(SiteSummary.Distance(gap.Centre.Lat, gap.Centre.Lon, (flight[4].Latitude!.Value + flight[8].Latitude!.Value) / 2,
            (flight[4].Longitude!.Value + flight[8].Longitude!.Value) / 2), 0, 0.5);
        Assert.Equal(Verdicts.Warn, f.Verdict.Status);
        Assert.Contains("1 gap, about 3 photos missing (largest: 3 after " + flight[4].Name, f.Verdict.Reasons[0]);
        // Five missing photos or more fail the folder.
        var five = flight.Skip(30).Take(5).Select(p => p.Name).ToHashSet();
        using var worse = Analyse(flight.Where(p => !five.Contains(p.Name)).ToList());
        Assert.Equal(Verdicts.Fail, worse.Folders[0].Flight.Verdict.Status);
    }

    [Fact]
    public void A_photo_without_gps_in_a_line_is_flagged_no_position_and_leaves_no_gap()
    {
        var flight = Grid();
        flight[40] = flight[40] with { Latitude = null, Longitude = null };
        using var site = Analyse(flight);
        Assert.Empty(site.Folders[0].Flight.Gaps);
        Assert.Equal(PhotoFlags.NoPosition, site.Folders[0].Photos.Single(p => p.Name == flight[40].Name).Flags);
    }

    [Fact]
    public void A_camera_that_shoots_only_along_lines_has_no_gaps_at_its_turns()
    {
        // Photos only on the lines (distance-triggered), the turns taking 6 s without a photo.
        var flight = Grid().Where(p => Math.Abs(p.FlightYaw!.Value - 37) < 5 || Math.Abs(p.FlightYaw!.Value + 143) < 5).ToList();
        Assert.Equal(8 * 24, flight.Count);
        using var site = Analyse(flight);
        Assert.Empty(site.Folders[0].Flight.Gaps);
        Assert.Equal(8, site.Folders[0].Flight.Lines.Count);
        // A photo lost along a line is still a gap.
        using var lost = Analyse(flight.Where((_, i) => i != 60).ToList());
        var gap = Assert.Single(lost.Folders[0].Flight.Gaps);
        Assert.Equal((flight[59].Name, flight[61].Name, 1), (gap.After, gap.Before, gap.MissingPhotos));
    }

    [Fact]
    public void A_battery_swap_between_lines_is_a_pause_not_a_gap()
    {
        var flight = Grid();
        var swap = flight.FindIndex(p => p.Name == flight[24 * 4 + 2 * 4].Name); // the first photo of the fifth line
        for (var i = swap; i < flight.Count; i++) flight[i] = flight[i] with { TakenAt = flight[i].TakenAt.AddMinutes(9) };
        using var site = Analyse(flight);
        var f = site.Folders[0].Flight;
        Assert.Empty(f.Gaps);
        var pause = Assert.Single(f.Pauses);
        Assert.InRange(pause.Seconds, 540, 545);
        Assert.Equal(0, f.Flagged);
    }

    [Fact]
    public void A_level_line_flown_higher_for_its_last_photos_has_them_altitude_off()
    {
        var flight = Grid();
        var raised = flight.Skip(14).Take(10).Select(p => p.Name).ToHashSet(); // the first line's last ten of 24
        flight = flight.Select(p => raised.Contains(p.Name) ? p with { RelativeAltitude = p.RelativeAltitude + 15 } : p).ToList();
        using var site = Analyse(flight);
        var off = site.Folders[0].Photos.Where(p => (p.Flags & PhotoFlags.AltitudeOff) != 0).ToList();
        Assert.Equal(raised.Order(), off.Select(p => p.Name).Order());
        Assert.All(off, p => Assert.InRange(p.AltitudeResidualM, 14, 16));
    }

    [Fact]
    public void Motion_blur_is_speed_times_exposure_over_the_ground_sample_distance()
    {
        var flight = Grid();
        flight[50] = flight[50] with { Camera = flight[50].Camera! with { ExposureTime = 1.0 / 30 } };
        using var site = Analyse(flight);
        var photos = site.Folders[0].Photos;
        // 80 m × 13.2 mm / (8.8 mm × 5472 px) = 2.19 cm/px; 8 m/s × 1/30 s = 26.7 cm: about 12 px of smear.
        var slow = photos.Single(p => p.Name == flight[50].Name);
        Assert.Equal(PhotoFlags.MotionBlurRisk, slow.Flags);
        Assert.InRange(slow.BlurPx, 11.5, 12.8);
        var fast = photos.Single(p => p.Name == flight[51].Name); // 1/1000 s: 0.4 px
        Assert.InRange(fast.BlurPx, 0.3, 0.45);
        Assert.Equal(1, site.Folders[0].Flight.Flagged);
    }

    [Fact]
    public void Without_a_sensor_size_a_long_exposure_while_moving_is_the_blur_risk()
    {
        var flight = Grid().Select(p => p with { Model = "Unknown Cam", Camera = new CameraSettings { ExposureTime = 1.0 / 500 } }).ToList();
        flight[50] = flight[50] with { Camera = new CameraSettings { ExposureTime = 1.0 / 40 } };
        using var site = Analyse(flight);
        Assert.Equal([flight[50].Name], site.Folders[0].Photos.Where(p => p.Flags != PhotoFlags.None).Select(p => p.Name));
        Assert.Null(site.Folders[0].Flight.Overlap);
        Assert.Contains("sensor", site.Folders[0].Flight.OverlapNote);
    }

    [Fact]
    public void No_gimbal_needs_a_camera_that_records_it()
    {
        // A known DJI drone camera records gimbal data in every photo: one without it is flagged, even alone.
        using var known = Analyse([Grid()[0] with { GimbalPitch = null }]);
        Assert.Equal(PhotoFlags.NoGimbal, known.Folders[0].Photos[0].Flags);
        // An unknown camera whose photos have none: nothing to miss.
        using var unknown = Analyse(Grid().Take(30).Select(p => p with { Make = "Acme", Model = "X1", GimbalPitch = null }).ToList());
        Assert.Equal(0, unknown.Folders[0].Flight.Flagged);
        // An unknown camera whose other photos have it: the one without is flagged.
        var acme = Grid().Take(30).Select(p => p with { Make = "Acme", Model = "X1" }).ToList();
        acme[10] = acme[10] with { GimbalPitch = null };
        using var learned = Analyse(acme);
        Assert.Equal([acme[10].Name], learned.Folders[0].Photos.Where(p => p.Flags != PhotoFlags.None).Select(p => p.Name));
    }

    [Fact]
    public void Rtk_and_camera_mix_are_flagged_per_photo()
    {
        var flight = Grid(new FlightPlan { RtkFlag = 50 });
        flight[3] = flight[3] with { RtkFlag = 16 };
        flight[9] = flight[9] with { Model = "FC3411" };
        using var site = Analyse(flight);
        var flagged = site.Folders[0].Photos.Where(p => p.Flags != PhotoFlags.None).ToDictionary(p => p.Name, p => p.Flags);
        Assert.Equal(PhotoFlags.RtkNotFixed, flagged[flight[3].Name]);
        Assert.Equal(PhotoFlags.MixedCamera, flagged[flight[9].Name]);
        Assert.Equal(2, flagged.Count);
        Assert.Equal("DJI FC6310S", site.Cameras.Describe(site.Folders[0].Flight.MainCamera));
    }

    [Fact]
    public void Overlap_below_the_minimum_warns()
    {
        using var site = Analyse(Grid(new FlightPlan { LineSpacingM = 100, SpeedMs = 14 }));
        var f = site.Folders[0].Flight;
        Assert.InRange(f.Overlap!.Side!.Value, 0.1, 0.2);   // 100 m lines under a 120 m footprint
        Assert.InRange(f.Overlap.Forward!.Value, 0.6, 0.7); // 28 m steps under 80 m
        Assert.Equal(Verdicts.Warn, f.Verdict.Status);
        Assert.Equal(["side overlap about 17 % (below 50 %)"], f.Verdict.Reasons);
    }
}
