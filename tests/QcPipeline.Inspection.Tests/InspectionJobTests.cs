using System.Text.Json;
using QcPipeline.Core.Runtime;
using QcPipeline.TestKit;
using QcPipeline.Vision;
using Xunit;

namespace QcPipeline.Inspection.Tests;

/// <summary>The committed inspection job, end to end on the demo board's images.</summary>
public class InspectionJobTests
{
    private static string Job => Path.Combine(Checkout.Root, "pipelines", "inspection.yaml");
    private static string DemoFolder => Path.Combine(Checkout.Root, "config", "products", "demo-board");

    [Fact]
    public async Task The_inspection_job_runs_out_of_the_box_and_gives_each_sample_its_verdict()
    {
        using var h = new Harness();
        var result = await h.RunFileAsync(Job, _ => null); // no INSPECT_* set: the defaults
        Assert.Equal(RunOutcome.Succeeded, result.Outcome); // one error verdict of six is within the job's 20% budget
        Assert.True(result.CountsAddUp);
        Assert.Equal(DemoProduct.Samples.Count, result.Produced);
        Assert.Equal(1, result.Failed);                       // the error verdict counts as a failed item

        var results = h.Results();
        var verdicts = results.ToDictionary(r => Path.GetFileName(r.GetProperty("image").GetString()!), r => r.GetProperty("verdict").GetString()!);
        Assert.Equal(DemoProduct.Samples.OrderBy(s => s.Key), verdicts.OrderBy(v => v.Key));

        // Each failing sample fails on the ROI its flaw is in, and only there.
        string[] Failing(string name) => results.Single(r => r.GetProperty("image").GetString()!.EndsWith(name, StringComparison.Ordinal))
            .GetProperty("rois").EnumerateArray().Where(r => r.GetProperty("status").GetString() != "pass").Select(r => r.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["pads"], Failing("fail-scratch.png"));
        Assert.Equal(["led"], Failing("fail-dark-led.png"));
        Assert.Equal(["connector"], Failing("fail-no-connector.png"));

        var scratch = results.Single(r => r.GetProperty("image").GetString()!.EndsWith("fail-scratch.png", StringComparison.Ordinal));
        var pads = Harness.Roi(scratch, "pads");
        Assert.Equal(["name", "x", "y", "w", "h", "check", "status", "score", "reason", "defects"], pads.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["image", "verdict", "ms", "width", "height", "defects", "rois"], scratch.EnumerateObject().Select(p => p.Name));
        // The scratch (196,44)-(256,48) crosses the gaps between pads: defects lie on it, in image pixels.
        Assert.NotEmpty(scratch.GetProperty("defects").EnumerateArray());
        foreach (var defect in pads.GetProperty("defects").EnumerateArray())
        {
            Assert.Equal(["box", "type", "confidence"], defect.EnumerateObject().Select(p => p.Name));
            Assert.Equal("difference", defect.GetProperty("type").GetString());
            var d = defect.GetProperty("box").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            Assert.True(d[0] >= 194 && d[2] <= 258 && d[1] >= 42 && d[3] <= 50, string.Join(",", d));
        }

        var truncated = results.Single(r => r.GetProperty("image").GetString()!.EndsWith("error-truncated.png", StringComparison.Ordinal));
        Assert.All(truncated.GetProperty("rois").EnumerateArray(), r =>
        {
            Assert.Equal("error", r.GetProperty("status").GetString());
            Assert.Contains("not a decodable image", r.GetProperty("reason").GetString());
        });

        var summary = File.ReadAllLines(Path.Combine(h.Out, "summary.csv"));
        Assert.Equal("image,verdict,ms,rois,pass,fail,error,defects,reason", summary[0]);
        Assert.Equal(DemoProduct.Samples.Count + 1, summary.Length);
        // An annotation for every image that did not pass and could be decoded.
        var annotated = Directory.GetFiles(Path.Combine(h.Out, "annotated")).Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(["fail-dark-led.png", "fail-no-connector.png", "fail-scratch.png"], annotated);
        using var png = Image.Load(Path.Combine(h.Out, "annotated", "fail-scratch.png"));
        Assert.Equal((DemoProduct.Width, DemoProduct.Height, 3), (png.Width, png.Height, png.Channels));
    }

    [Fact]
    public void The_committed_demo_images_are_what_the_generator_draws()
    {
        using var h = new Harness();
        DemoProduct.Write(h.Dir);
        var committed = Directory.GetFiles(DemoFolder, "*.png", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(DemoFolder, f)).Order().ToArray();
        var fresh = Directory.GetFiles(h.Dir, "*.png", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(h.Dir, f)).Order().ToArray();
        Assert.Equal(fresh, committed);
        foreach (var name in committed.Where(n => !n.Contains("error", StringComparison.Ordinal)))
        {
            using var a = Image.Load(Path.Combine(DemoFolder, name));
            using var b = Image.Load(Path.Combine(h.Dir, name));
            Assert.True(a.GetPixels().AsSpan().SequenceEqual(b.GetPixels()), name);
        }
    }

    [Fact]
    public async Task Watch_mode_inspects_images_as_they_arrive_until_cancelled()
    {
        using var h = new Harness();
        var inbox = Directory.CreateDirectory(h.Path_("inbox")).FullName;
        var env = new Dictionary<string, string>
        {
            ["INSPECT_DIR"] = inbox, ["INSPECT_WATCH"] = "true",
            ["INSPECT_PRODUCT"] = Path.Combine(Checkout.Root, "config", "products", "demo-board.yaml"),
        };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = h.RunFileAsync(Job, n => env.GetValueOrDefault(n), stop.Token);
        var results = Path.Combine(h.Out, "results.jsonl");
        foreach (var name in new[] { "pass-exact.png", "fail-dark-led.png" })
        {
            File.Copy(Path.Combine(DemoFolder, "samples", name), Path.Combine(inbox, name));
            // Each arrival is inspected while the run goes on watching.
            await WaitUntil(() => File.Exists(results) && ReadShared(results).Contains(name, StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        }
        stop.Cancel();
        var result = await run;
        Assert.Equal(RunOutcome.Cancelled, result.Outcome);
        Assert.Equal(["pass", "fail"], h.Results().Select(r => r.GetProperty("verdict").GetString()!));
    }

    private static string ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(s).ReadToEnd();
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out waiting");
            await Task.Delay(50);
        }
    }
}

/// <summary>The same inspection with its images on an SFTP server (a real sshd), as pipelines/inspection.yaml describes.</summary>
public class InspectionOverSftpTests
{
    [Fact]
    public async Task Images_fetched_over_sftp_get_the_same_verdicts_as_local_ones()
    {
        var samples = Path.Combine(Checkout.Root, "config", "products", "demo-board", "samples");
        using var site = new SshdSite(served =>
        {
            foreach (var f in Directory.GetFiles(samples)) File.Copy(f, Path.Combine(served, Path.GetFileName(f)));
        }, prefix: "qc-inspect-sftp-");
        using var h = new Harness();
        var shipped = File.ReadAllText(Path.Combine(Checkout.Root, "pipelines", "inspection.yaml"));
        var laterStages = shipped[shipped.IndexOf("  load:", StringComparison.Ordinal)..]
            .Replace("${INSPECT_PRODUCT:-../config/products/demo-board.yaml}", Path.Combine(Checkout.Root, "config", "products", "demo-board.yaml"));
        var result = await h.RunYamlAsync($"""
            job: inspection-sftp
            error_budget: 20%
            connections:
            {site.ConnectionYaml("camera")}
            stages:
              images:
                type: sftp.list
                connection: camera
                include: ["**/*.png"]
              fetch:
                type: sftp.fetch
                connection: camera
                mode: full
                workers: 4
            """ + "\n" + laterStages);
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.True(result.CountsAddUp);
        var verdicts = h.Results().ToDictionary(r => Path.GetFileName(r.GetProperty("image").GetString()!), r => r.GetProperty("verdict").GetString()!);
        Assert.Equal(DemoProduct.Samples.OrderBy(s => s.Key), verdicts.OrderBy(v => v.Key));
    }
}

/// <summary>roi.check with "workers: auto" gets min(ROIs, cores) workers.</summary>
public class RoiCheckWorkerTests
{
    private static int CheckWorkers(string rois, string workers = "auto")
    {
        var yaml = $$"""
            job: workers
            stages:
              images: {type: files.list, root: .}
              load: {type: image.load}
              rois:
                type: roi.fanout
            {{rois}}
              check: {type: roi.check, workers: {{workers}}}
              join: {type: roi.join}
              verdict: {type: verdict}
            """;
        var job = new QcPipeline.Core.Jobs.JobLoader(Harness.Registry()).Parse(yaml, Path.Combine(Path.GetTempPath(), "job.yaml"));
        return QcPipeline.Core.Graph.GraphCompiler.Compile(job).Nodes.Single(n => n.Name == "check").Workers;
    }

    private static string Inline(int count) => "    rois:\n" + string.Concat(Enumerable.Range(0, count)
        .Select(i => $"      - {{name: r{i}, x: 0, y: 0, w: 4, h: 4, check: intensity}}\n"));

    [Fact]
    public void Auto_is_the_smaller_of_the_rois_and_the_cores()
    {
        var cores = Environment.ProcessorCount;
        Assert.Equal(1, CheckWorkers(Inline(1)));
        Assert.Equal(Math.Min(3, cores), CheckWorkers(Inline(3)));
        Assert.Equal(cores, CheckWorkers(Inline(cores + 5)));
        Assert.Equal(cores, CheckWorkers("    tile: 64\n    check: diff"));   // a grid's size depends on the image
        Assert.Equal(5, CheckWorkers(Inline(1), workers: "5"));             // an explicit number is kept
        var product = Path.Combine(Checkout.Root, "config", "products", "demo-board.yaml");
        var productRois = QcPipeline.Inspection.ProductLoader.Load(product).Rois.Length;
        Assert.Equal(Math.Min(productRois, cores), CheckWorkers($"    product: {product}"));
    }
}
