using QcPipeline.Demo.Generation;
using QcPipeline.TestKit;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>
/// Flight QC on a real survey: the 1,817 photos of the Mt Agung log (four flights, terrain-following, real
/// positions, times, altitudes, gimbal and heading) written as JPEGs and scanned by the shipped stages, as they
/// are and with faults injected the way they happen.
/// </summary>
public sealed class AgungSurveyTests : IDisposable
{
    private const string Log = "gps/metadata_only/agung-2_image_metadata.csv";
    private readonly string _root = Directory.CreateTempSubdirectory("qc-agung-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static List<List<PlannedPhoto>> Flights() =>
        SurveyLog.Read(SharedData.Find(Log)!).GroupBy(p => p.Folder).Select(g => g.ToList()).ToList();

    [SharedDataFact(Log)]
    public async Task The_survey_as_flown_has_no_photo_flagged_and_its_four_grids_found()
    {
        var flights = Flights();
        Assert.Equal(1817, flights.Sum(f => f.Count));
        var site = Path.Combine(_root, "site");
        PlannedPhoto.WriteAll(site, flights.SelectMany(f => f));
        var run = await SiteScanRun.RunAsync(_root, site, "agung");
        Assert.Equal(1817, run.Points.Count);
        Assert.All(run.Points, p => Assert.Equal(("ok", ""), (p["status"], p["flags"])));
        foreach (var folder in flights.Select(f => f[0].Folder))
        {
            var f = run.Summary["folders"]![folder]!;
            Assert.Equal("lawnmower", f["flight"]!["pattern"]!.GetValue<string>());
            Assert.InRange(f["flight"]!["lines"]!.AsArray().Count, 10, 40);
        }
        // Where the survey itself lacks photos (the camera's counter jumps), it says so: task-ne stops for 34 minutes
        // (a battery swap: 27 file numbers skipped, taken on the way home) and later loses one photo mid-line;
        // task-nw's camera left 5 and 6 s between its first photos though no number is missing.
        var ne = run.Summary["folders"]!["task-ne"]!["flight"]!;
        var swap = Assert.Single(ne["pauses"]!.AsArray());
        Assert.Equal((2055.0, 27), (swap!["seconds"]!.GetValue<double>(), swap["missing_by_file_number"]!.GetValue<int>()));
        var lost = Assert.Single(ne["gaps"]!.AsArray());
        Assert.Equal(("DJI_20251002124606_0465_D.JPG", 1, 1), (lost!["after"]!.GetValue<string>(), lost["missing_photos"]!.GetValue<int>(), lost["missing_by_file_number"]!.GetValue<int>()));
        Assert.Contains(run.Summary["folders"]!["task-nw"]!["flight"]!["gaps"]!.AsArray(), g => g!["missing_by_file_number"]!.GetValue<int>() == 0);
        Assert.Empty(run.Summary["folders"]!["task-sw"]!["flight"]!["gaps"]!.AsArray());
    }

    [SharedDataFact(Log)]
    public async Task Every_fault_injected_into_the_four_flights_is_found_and_no_clean_photo_is_flagged()
    {
        var truths = Flights().Select((f, i) => FlightFaults.Inject(f, FaultPlan.HeadersOfALog, 77 + i)).ToList();
        var site = Path.Combine(_root, "faulted");
        PlannedPhoto.WriteAll(site, truths.SelectMany(t => t.Photos));
        var run = await SiteScanRun.RunAsync(_root, site, "agung-faults");
        var score = new FaultScore();
        foreach (var truth in truths)
        {
            var names = truth.Photos.Select(p => p.Name).ToHashSet();
            var folder = truth.Photos[0].Folder;
            score.Add(truth, run.Found.Where(p => names.Contains(p.Name)),
                run.Summary["folders"]![folder]!["flight"]!["gaps"]!.AsArray().Select(g => new FoundGap(g!["after"]!.GetValue<string>(), g["before"]!.GetValue<string>())));
        }
        Assert.All(score.ByFlag, x => Assert.True(x.Value.Found == x.Value.Injected, $"{x.Key}: {x.Value.Found} of {x.Value.Injected}\n" + string.Join("\n", score.Misses)));
        Assert.Equal(["altitude_off", "duplicate", "far_from_site", "no_gimbal", "no_position", "not_nadir"], score.ByFlag.Keys.Order());
        Assert.True(score.CleanFlagged == 0, string.Join("\n", score.Misses));
        Assert.True(score.RemovedCovered == score.RemovedPhotos, string.Join("\n", score.Misses));
        Assert.True(score.GapPrecision >= 0.8, $"{score.RealGaps} of {score.ReportedGaps} gaps real");
        Assert.All(run.Summary["folders"]!.AsObject(), f => Assert.NotEqual("ok", f.Value!["verdict"]!["status"]!.GetValue<string>()));
    }
}
