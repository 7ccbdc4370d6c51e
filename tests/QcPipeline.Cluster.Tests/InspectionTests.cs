using QcPipeline.TestKit;

namespace QcPipeline.Cluster.Tests;

/// <summary>The shipped inspection job with load, rois, check and join on workers: the same verdicts and
/// annotations as a local run, written by the coordinator.</summary>
public sealed class InspectionTests : IDisposable
{
    private readonly ClusterSite _site = new();

    [Fact]
    public void Distributed_inspection_writes_what_a_local_run_writes()
    {
        _site.StartWorker("i1", program: WorkerProcess.RealProgram);
        _site.StartWorker("i2", program: WorkerProcess.RealProgram);
        var job = Path.Combine(Checkout.Root, "pipelines", "inspection.yaml");
        string Run(string name, params string[] extra)
        {
            var output = Path.Combine(_site.Output, name);
            var p = _site.Track(WorkerProcess.Start(name, [job, "--out", output, .. extra], program: WorkerProcess.RealProgram));
            Assert.True(p.Process.WaitForExit(TimeSpan.FromMinutes(2)), p.Output);
            Assert.True(p.Process.ExitCode is 0 or 1, p.Output); // the demo samples hold one undecodable image: an error verdict
            return output;
        }
        var local = Run("local");
        var distributed = Run("distributed", "--cluster", _site.Nats.Url);

        // Every column but the time is the same, image for image; so are the annotated images.
        static List<string> Rows(string dir) => File.ReadAllLines(Path.Combine(dir, "summary.csv"))
            .Select(l => { var c = l.Split(','); c[2] = ""; return string.Join(',', c); }).Order().ToList();
        Assert.Equal(Rows(local), Rows(distributed));
        var annotated = Directory.GetFiles(Path.Combine(local, "annotated")).Select(Path.GetFileName).Order().ToList();
        Assert.NotEmpty(annotated);
        Assert.Equal(annotated, Directory.GetFiles(Path.Combine(distributed, "annotated")).Select(Path.GetFileName).Order().ToList());
        foreach (var name in annotated)
            Assert.Equal(File.ReadAllBytes(Path.Combine(local, "annotated", name!)), File.ReadAllBytes(Path.Combine(distributed, "annotated", name!)));
        Assert.Contains("\"cluster\"", File.ReadAllText(Path.Combine(distributed, "run.json")));
    }

    public void Dispose() => _site.Dispose();
}
