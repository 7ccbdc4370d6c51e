using System.Diagnostics;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Sftp;
using QcPipeline.SiteScan.Generation;
using QcPipeline.Ssh;

namespace QcPipeline.Bench;

/// <summary>
/// ./run.sh bench sftp — a site like our users' (12 folders, 1,375 JPEGs of ~5 MB) served by a sandboxed sshd
/// behind a 40 ms / 100 Mbit/s link emulator. Whole-file downloads (1 and 4 connections, the users' way)
/// against header-only fetches with 1, 4, 8 and 16 workers. Whole-file runs take one folder: at 100 Mbit/s the
/// whole site would take ten minutes, and images per second is what is compared.
/// </summary>
public static class SftpBench
{
    public static async Task RunAsync(string[] args)
    {
        var clock = Stopwatch.StartNew();
        await using var site = BenchSite.Start();
        var siteDir = site.Directory;
        Console.WriteLine($"site: {site.Images} images in {Directory.GetDirectories(siteDir).Length} folders under {siteDir} ({clock.Elapsed.TotalSeconds:0.0} s to prepare)");
        Console.WriteLine("link: 40 ms round trip, 100 Mbit/s shared (TCP proxy in front of sshd)");
        Console.WriteLine($"{"run",-34} {"images",7} {"seconds",8} {"images/s",9} {"MB moved",9} {"KB/image",9}");

        var folders = Directory.GetDirectories(siteDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var small = folders.Last()!;              // 16 images
        var medium = folders[^2]!;                // 22 images
        var header1 = folders[4]!;                // 96 images

        var baseline = await Measure("full, 1 connection (users' tool)", site, "full", 1, small);
        await Measure("full, 4 connections", site, "full", 4, medium);
        await Measure("header, 1 worker", site, "header", 1, header1);
        Result? best = null;
        // Beyond the issue's 4, 8 and 16: on a 40 ms link each file costs about three round trips, so more
        // connections are how a user buys time (--set stages.fetch.workers=N).
        var pools = args.Length > 0 ? args[0].Split(',').Select(int.Parse).ToArray() : [4, 8, 16, 24, 32];
        foreach (var workers in pools)
        {
            var r = await Measure($"header, {workers} workers (whole site)", site, "header", workers, null);
            if (best is null || r.PerSecond > best.PerSecond) best = r;
        }
        var siteSeconds = best!.Seconds;
        Console.WriteLine();
        Console.WriteLine($"whole site, header mode, best: {siteSeconds:0.0} s (goal ≤ 15 s); " +
                          $"{best.PerSecond / baseline.PerSecond:0}× the whole-file single-connection rate (goal ≥ 50×); " +
                          $"the users' way would take {site.Images / baseline.PerSecond / 60:0.0} min for this site");
    }

    private sealed record Result(long Images, double Seconds, long Bytes)
    {
        public double PerSecond => Images / Seconds;
    }

    private static async Task<Result> Measure(string label, BenchSite site, string mode, int workers, string? folder)
    {
        var output = Directory.CreateTempSubdirectory("qcpipeline-bench-out-").FullName;
        try
        {
            var yaml = $"""
                job: bench-sftp
                {site.ConnectionsYaml}
                stages:
                  list:
                    type: sftp.list
                    connection: site
                    root: "{(folder is null ? "." : folder)}"
                    include: ["**/*.JPG", "**/*.jpg"]
                  fetch:
                    type: sftp.fetch
                    connection: site
                    mode: {mode}
                    workers: {workers}
                    download_dir: {Path.Combine(output, "files")}
                  count:
                    type: bench.discard
                """;
            var registry = new StageRegistry().AddSftp().AddBench();
            var graph = GraphCompiler.Compile(new JobLoader(registry).Parse(yaml, Path.Combine(output, "bench.yaml")));
            var before = site.Link.BytesDown;
            var clock = Stopwatch.StartNew();
            var result = await new PipelineRunner(graph, output).RunAsync(CancellationToken.None);
            clock.Stop();
            if (result.Processed != result.Produced || result.Produced == 0)
                throw new InvalidOperationException($"{label}: {result.Processed} of {result.Produced} images processed ({result.Error})");
            var r = new Result(result.Processed, clock.Elapsed.TotalSeconds, site.Link.BytesDown - before);
            Console.WriteLine($"{label,-34} {r.Images,7} {r.Seconds,8:0.00} {r.PerSecond,9:0.0} {r.Bytes / 1e6,9:0.0} {r.Bytes / 1024.0 / r.Images,9:0.0}");
            return r;
        }
        finally { Directory.Delete(output, recursive: true); }
    }
}

/// <summary>Bench sink: drops what it gets (the fetch is what is measured).</summary>
[Stage("bench.discard", "Benchmark sink: counts nothing, keeps nothing.")]
public sealed class DiscardSink : SinkStage<FileContent, NoOptions>
{
    public override ValueTask ConsumeAsync(Outcome<FileContent> item, ItemContext context) => ValueTask.CompletedTask;
}
