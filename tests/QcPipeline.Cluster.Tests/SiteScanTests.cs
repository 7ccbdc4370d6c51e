using System.Text.Json;
using QcPipeline.TestKit;

namespace QcPipeline.Cluster.Tests;

/// <summary>The shipped site-scan job, coordinated by the shipped program and run by three worker processes.</summary>
public sealed class SiteScanTests : IDisposable
{
    private readonly ClusterSite _site = new();

    [Fact]
    public void A_coordinator_and_three_workers_scan_the_site_each_photo_once()
    {
        var workers = Enumerable.Range(1, 3).Select(i => _site.StartWorker($"w{i}", capacity: 4, program: WorkerProcess.RealProgram)).ToList();
        var output = Path.Combine(_site.Output, "scan");
        var coordinator = _site.Track(WorkerProcess.Start("coordinator",
            [Path.Combine(Checkout.Root, "pipelines", "site-scan.yaml"), "--cluster", _site.Nats.Url, "--out", output, "--no-cache"],
            _site.SiteEnvironment, program: WorkerProcess.RealProgram));
        Assert.True(coordinator.Process.WaitForExit(TimeSpan.FromMinutes(2)), coordinator.Output);
        Assert.True(coordinator.Process.ExitCode == 0, coordinator.Output + string.Join("\n", workers.Select(w => w.Output)));

        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "run.json")));
        var items = run.RootElement.GetProperty("items");
        Assert.Equal(_site.Photos, items.GetProperty("processed").GetInt32());
        Assert.True(items.GetProperty("counts_add_up").GetBoolean());
        var cluster = run.RootElement.GetProperty("cluster");
        var perWorker = cluster.GetProperty("workers").EnumerateArray().ToDictionary(w => w.GetProperty("id").GetString()!, w => w.GetProperty("items").GetInt32());
        Assert.Equal(["w1", "w2", "w3"], perWorker.Keys.Order());
        // All three joined; how the 60 photos spread over them depends on who asks first (the late-worker and
        // killed-worker tests check that work moves to whoever is there).
        Assert.True(perWorker.Values.Count(n => n > 0) >= 2, $"the photos did not spread: {string.Join(", ", perWorker)}");
        Assert.Equal(_site.Photos, perWorker.Values.Sum());
        Assert.Equal(_site.Photos, cluster.GetProperty("totals").GetProperty("items").GetInt32());

        var points = ClusterSite.Points(output);
        Assert.Equal(_site.Photos, points.Count);
        Assert.Equal(_site.Photos, points.Distinct().Count());
        // The run's streams and announcement are gone: nothing is left on the server.
        Assert.Contains("cluster: 3 worker(s) ran fetch, gps", coordinator.Output);
    }

    public void Dispose() => _site.Dispose();
}
