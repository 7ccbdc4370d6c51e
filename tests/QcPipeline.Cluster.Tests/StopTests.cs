using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace QcPipeline.Cluster.Tests;

/// <summary>Ctrl+C on the coordinator: the workers' part of the run stops, and the outputs are written as a local run writes them.</summary>
public sealed class StopTests : IDisposable
{
    private readonly ClusterSite _site = new();

    [Fact]
    public async Task Ctrl_C_on_the_coordinator_stops_the_workers_part_and_writes_the_outputs()
    {
        var workers = new[] { _site.StartWorker("w1"), _site.StartWorker("w2") };
        var job = Path.Combine(_site.Output, "slow.yaml");
        File.WriteAllText(job, _site.Job(delay: "1s"));
        var output = Path.Combine(_site.Output, "stopped");
        var coordinator = _site.Track(WorkerProcess.Start("coordinator", [job, "--cluster", _site.Nats.Url, "--out", output]));
        coordinator.WaitFor("w1 on", TimeSpan.FromSeconds(60));
        coordinator.WaitFor("w2 on", TimeSpan.FromSeconds(60));
        coordinator.WaitFor(new System.Text.RegularExpressions.Regex(@"\d+/[1-9]\d* items done"), TimeSpan.FromSeconds(90)); // a progress line with listed items: the run is under way (on a loaded machine the first lines can show none)
        coordinator.Signal(2); // SIGINT: the first Ctrl+C
        Assert.True(coordinator.Process.WaitForExit(TimeSpan.FromSeconds(60)), coordinator.Output);
        Assert.Equal(130, coordinator.Process.ExitCode);

        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "run.json")));
        var items = run.RootElement.GetProperty("items");
        Assert.True(items.GetProperty("counts_add_up").GetBoolean());
        var produced = items.GetProperty("produced").GetInt32();
        var cancelled = items.GetProperty("cancelled").GetInt32();
        var processed = items.GetProperty("processed").GetInt32();
        Assert.True(cancelled > 0, "nothing was cancelled: the run was not stopped\n" + coordinator.Output);
        Assert.Equal(produced, processed + cancelled);
        Assert.Equal(processed, ClusterSite.Points(output).Count); // the outputs hold what was done, once
        Assert.True(File.Exists(Path.Combine(output, "report.html")));

        // Each worker left the run and stays up for the next one; the run left nothing on the server.
        foreach (var w in workers)
        {
            w.WaitFor("left run", TimeSpan.FromSeconds(30));
            Assert.False(w.Process.HasExited, w.Output);
        }
        await using var nats = new NatsConnection(new NatsOpts { Url = _site.Nats.Url });
        var streams = new List<string>();
        await foreach (var name in new NatsJSContext(nats).ListStreamNamesAsync()) streams.Add(name);
        Assert.DoesNotContain(streams, s => s.StartsWith("QC_WORK_", StringComparison.Ordinal) || s.StartsWith("QC_RESULT_", StringComparison.Ordinal));
    }

    public void Dispose() => _site.Dispose();
}
