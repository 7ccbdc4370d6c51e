using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using QcPipeline.Cluster;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using QcPipeline.Inspection;

namespace QcPipeline.Bench;

/// <summary>
/// `serve`: `qcpipeline serve` as its own process on loopback, loaded by wrk (Debian) at 1, 4, 16 and 64 concurrent
/// clients posting images to /v1/inspect: p50/p99 latency, throughput and errors, beside the same job run as a batch in
/// the same run (images/s, and the slowest ROI's check time, the latency floor). On the demo product, and on DeepPCB
/// boards (one product per board, chosen per request) where the shared data is present. Then memory: the server's
/// RSS every 10k requests over 100k. Args: [seconds per level (10)] [requests for the memory run (100000)].
/// </summary>
public static partial class ServeBench
{
    private static readonly int[] Clients = [1, 4, 16, 64];

    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var memoryRequests = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        if (!File.Exists("/usr/bin/wrk")) { Console.WriteLine("serve: needs wrk (Debian package wrk; ./run.sh bench installs it)"); return; }
        var root = Checkout.Root;
        var work = Directory.CreateTempSubdirectory("qcpipeline-bench-serve").FullName;
        try
        {
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {Load()} at the start");
            var samples = Path.Combine(root, "config", "products", "demo-board", "samples");
            var demo = new[] { "pass-exact.png", "pass-shifted.png", "fail-scratch.png", "fail-dark-led.png", "fail-no-connector.png" }
                .Select(f => new Upload(Path.Combine(samples, f), "image/png", null)).ToList();
            await MeasureAsync("demo product (320x240, 4 ROIs)", Path.Combine(root, "pipelines", "inspection.yaml"), null, demo, work, seconds);

            var deeppcb = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "pcb", "deeppcb", "PCBData"));
            if (File.Exists(Path.Combine(deeppcb, "pairs.txt")))
            {
                var (job, products, boards) = DeepPcbProducts(deeppcb, work, 5);
                await MeasureAsync($"DeepPCB ({boards.Count} boards, 640x640, registered, 25 diff tiles each)", job, products, boards, work, seconds);
            }
            else Console.WriteLine($"DeepPCB: no pairs.txt under {deeppcb} (the shared data is absent): skipped");

            await MemoryAsync(Path.Combine(root, "pipelines", "inspection.yaml"), demo, work, memoryRequests);
            Console.WriteLine($"load average {Load()} at the end");
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    /// <summary>One image to post: its file, type and product (null: the default).</summary>
    private sealed record Upload(string File, string Type, string? Product);

    private static async Task MeasureAsync(string title, string job, string? products, IReadOnlyList<Upload> uploads, string work, int seconds)
    {
        Console.WriteLine($"-- {title}");
        var (batchRate, slowestRoi, roiSum) = await BatchAsync(job, uploads, work);
        // With as many idle cores as ROIs an image takes about its slowest ROI; with fewer, at least its ROIs' sum over the cores.
        var floor = Math.Max(slowestRoi, roiSum / Environment.ProcessorCount);
        Console.WriteLine(FormattableString.Invariant(
            $"batch (same job, {uploads.Count} images repeated, in-process): {batchRate:F1} images/s; slowest ROI's check {slowestRoi:F2} ms (mean), an image's ROI checks {roiSum:F2} ms in all, so {floor:F2} ms on {Environment.ProcessorCount} cores"));
        await using var server = await ServerProcess.StartAsync(job, products, Path.Combine(work, "serve-out"));
        var script = LuaScript(uploads, work);
        await Wrk(server.Address, script, 1, 2); // warm-up
        var results = new List<(int Clients, WrkResult R)>();
        foreach (var c in Clients) results.Add((c, await Wrk(server.Address, script, c, seconds)));
        var again = await BatchAsync(job, uploads, work); // the batch again, after: the machine's load moves
        Console.WriteLine(FormattableString.Invariant($"batch again after the load: {again.Rate:F1} images/s"));
        var batch = (batchRate + again.Rate) / 2;
        Console.WriteLine("| clients | p50 ms | p99 ms | requests/s | × batch | errors |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (c, r) in results)
            Console.WriteLine(FormattableString.Invariant($"| {c} | {r.P50:F2} | {r.P99:F2} | {r.Rate:F1} | {r.Rate / batch:F2} | {r.Errors} |"));
        var one = results[0].R;
        var best = results.Max(r => r.R.Rate);
        var met = one.P50 <= slowestRoi + 5 ? "met" : "not met";
        var metHere = one.P50 <= floor + 5 ? "met" : "not met";
        Console.WriteLine(FormattableString.Invariant(
            $"latency at 1 client: p50 {one.P50:F2} ms against the goal slowest ROI + 5 ms = {slowestRoi + 5:F2} ms ({met}); against this machine's floor + 5 ms = {floor + 5:F2} ms ({metHere})"));
        Console.WriteLine(FormattableString.Invariant($"best throughput {best:F1} requests/s = {best / batch:F2} x the batch's {batch:F1} images/s (goal >= 0.9)"));
    }

    // The same job as a batch over copies of the images (a folder per product), in this process: images/s over all,
    // and from its timeline the check stage's time per ROI (by ROI name, the slowest mean is the latency floor).
    private static async Task<(double Rate, double SlowestRoi, double RoiSum)> BatchAsync(string job, IReadOnlyList<Upload> uploads, string work)
    {
        var registry = new StageRegistry().AddFiles().AddInspection().AddCluster(); // the shipped job has a cluster: section
        long images = 0;
        double seconds = 0;
        var perRoi = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var perImage = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var group in uploads.GroupBy(u => u.Product))
        {
            var folder = Path.Combine(work, "batch-in");
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
            Directory.CreateDirectory(folder);
            var list = group.ToList();
            var copies = group.Key is null ? 1000 : 100; // the demo board costs milliseconds, a DeepPCB board tens
            for (var i = 0; i < copies; i++)
                File.Copy(list[i % list.Count].File, Path.Combine(folder, $"{i:D5}{Path.GetExtension(list[i % list.Count].File)}"));
            string[] sets = ["stages.images.root=" + folder, "stages.verdict.annotate=false", "outputs.report=false", "telemetry.traces=false"];
            if (group.Key is { } product) sets = [.. sets, "stages.rois.product=" + product];
            var graph = GraphCompiler.Compile(new JobLoader(registry).Load(job, sets));
            var result = await new PipelineRunner(graph, Path.Combine(work, "batch-out")).RunAsync();
            images += result.Produced;
            seconds += result.Duration.TotalSeconds;
            var check = graph.Nodes.ToList().FindIndex(n => n.Descriptor.StageClass == typeof(RoiCheckStage));
            foreach (var t in result.Timeline.Where(t => t.Stage == check))
            {
                var cut = t.Key.LastIndexOf('#');
                var (image, roi) = (t.Key[..cut], t.Key[(cut + 1)..]);
                (perRoi.TryGetValue(roi, out var l) ? l : perRoi[roi] = []).Add(t.EndMs - t.StartMs);
                perImage[group.Key + image] = perImage.GetValueOrDefault(group.Key + image) + t.EndMs - t.StartMs;
            }
        }
        return (images / seconds, perRoi.Values.Max(v => v.Average()), perImage.Values.Average());
    }

    private static string LuaScript(IReadOnlyList<Upload> uploads, string work)
    {
        var lua = new StringBuilder();
        lua.AppendLine("local bodies, paths, types = {}, {}, {}");
        for (var i = 0; i < uploads.Count; i++)
        {
            var u = uploads[i];
            lua.AppendLine($"do local f = io.open(\"{u.File}\", \"rb\"); bodies[{i + 1}] = f:read(\"*a\"); f:close() end");
            lua.AppendLine($"paths[{i + 1}] = \"/v1/inspect?name={Path.GetFileName(u.File)}{(u.Product is null ? "" : "&product=" + Path.GetFileNameWithoutExtension(u.Product))}\"");
            lua.AppendLine($"types[{i + 1}] = \"{u.Type}\"");
        }
        lua.AppendLine("local n = 0");
        lua.AppendLine("request = function() n = n % #bodies + 1; return wrk.format(\"POST\", paths[n], {[\"Content-Type\"] = types[n]}, bodies[n]) end");
        var path = Path.Combine(work, "post.lua");
        File.WriteAllText(path, lua.ToString());
        return path;
    }

    private sealed record WrkResult(double P50, double P99, double Rate, long Requests, long Errors);

    private static async Task<WrkResult> Wrk(Uri address, string script, int clients, int seconds)
    {
        var psi = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-t", Math.Min(clients, 2).ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture),
                     "-d", $"{seconds}s", "--timeout", "30s", "--latency", "-s", script, address.AbsoluteUri.TrimEnd('/') + "/v1/inspect" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        double Percentile(string q) => Regex.Match(output, $@"^\s*{q}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline) is { Success: true } m
            ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * (m.Groups[2].Value switch { "us" => 0.001, "s" => 1000, _ => 1 }) : double.NaN;
        long Count(string pattern) => Regex.Match(output, pattern) is { Success: true } m ? m.Groups[1].Value.Split(',').Sum(long.Parse) : 0;
        var rate = Regex.Match(output, @"Requests/sec:\s+([\d.]+)") is { Success: true } r ? double.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var errors = Count(@"Non-2xx or 3xx responses: (\d+)") + Regex.Matches(output, @"(?:connect|read|write|timeout) (\d+)").Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        return new WrkResult(Percentile("50"), Percentile("99"), rate, Count(@"(\d+) requests in"), errors);
    }

    // Memory: the server's resident size every 10k requests over N, posted by 16 clients of this process.
    private static async Task MemoryAsync(string job, IReadOnlyList<Upload> uploads, string work, int total)
    {
        Console.WriteLine($"-- memory over {total:N0} requests (demo product, 16 clients)");
        await using var server = await ServerProcess.StartAsync(job, null, Path.Combine(work, "memory-out"));
        var bodies = uploads.Select(u => File.ReadAllBytes(u.File)).ToArray();
        using var client = new HttpClient { BaseAddress = server.Address };
        long sent = 0, failed = 0;
        var marks = new List<(long Requests, long RssKiB)>();
        var clock = Stopwatch.StartNew();
        for (var step = 10_000; step <= total; step += 10_000)
        {
            var target = step;
            await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
            {
                while (true)
                {
                    var n = Interlocked.Increment(ref sent);
                    if (n > target) { Interlocked.Decrement(ref sent); return; }
                    using var content = new ByteArrayContent(bodies[n % bodies.Length]);
                    content.Headers.ContentType = new("image/png");
                    using var response = await client.PostAsync("/v1/inspect", content);
                    if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failed);
                }
            }));
            marks.Add((step, server.RssKiB()));
        }
        Console.WriteLine($"{total:N0} requests in {clock.Elapsed.TotalSeconds:F0} s, {failed} not 2xx; server RSS (MiB) every 10k: " +
                          string.Join(", ", marks.Select(m => (m.RssKiB / 1024.0).ToString("F0", CultureInfo.InvariantCulture))));
        var first = marks[0].RssKiB / 1024.0;
        var last = marks[^1].RssKiB / 1024.0;
        Console.WriteLine(FormattableString.Invariant($"RSS at 10k {first:F0} MiB, at {total / 1000}k {last:F0} MiB: {last - first:+0;-0} MiB ({(last - first) / Math.Max(1, (total - 10_000) / 10_000):F1} MiB per further 10k)"));
    }

    // Five DeepPCB boards of the test split, each its own product (its template the golden, a 5x5 grid of diff ROIs
    // with the job's tuned parameters, registration as pipelines/deeppcb.yaml), served by one job with --products.
    private static (string Job, string Products, List<Upload> Boards) DeepPcbProducts(string data, string work, int count)
    {
        var products = Directory.CreateDirectory(Path.Combine(work, "deeppcb-products")).FullName;
        var boards = new List<Upload>();
        foreach (var line in File.ReadLines(Path.Combine(data, "pairs.txt")).Take(count))
        {
            var image = line.Split(' ')[0];
            var stem = Path.Combine(data, Path.GetDirectoryName(image)!, Path.GetFileNameWithoutExtension(image));
            var name = "board-" + Path.GetFileNameWithoutExtension(image);
            var rois = new StringBuilder();
            for (var r = 0; r < 5; r++)
                for (var c = 0; c < 5; c++)
                    rois.AppendLine($"  - {{name: tile_r{r:D2}c{c:D2}, x: {c * 128}, y: {r * 128}, w: 128, h: 128, check: diff, diff: {{max_shift: 16, tolerance: 1, blur_kernel: 5, threshold: 100, min_area: 16, max_elongation: 12, copper: dark}}}}");
            var file = Path.Combine(products, name + ".yaml");
            File.WriteAllText(file, $"product: {name}\ngolden: {stem}_temp.jpg\nregister: 16\nrois:\n{rois}");
            boards.Add(new Upload(stem + "_test.jpg", "image/jpeg", file));
        }
        var job = Path.Combine(work, "deeppcb-serve.yaml");
        File.WriteAllText(job, $"""
            job: deeppcb-serve
            error_budget: 100%
            stages:
              images: {"{"} type: files.list, root: {work}, include: ["*.jpg", "*.png"] {"}"}
              load: {"{"} type: image.load, mode: grayscale {"}"}
              rois: {"{"} type: roi.fanout, product: {boards[0].Product} {"}"}
              check: {"{"} type: roi.check {"}"}
              join: {"{"} type: roi.join, merge_gap: 2, box_margin: 12 {"}"}
              verdict: {"{"} type: verdict, annotate: false {"}"}
            """);
        return (job, products, boards);
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
