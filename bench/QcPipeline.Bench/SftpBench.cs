using System.Diagnostics;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using QcPipeline.Media;
using QcPipeline.Sftp;

namespace QcPipeline.Bench;

/// <summary>
/// ./run.sh bench sftp — sftp.list → sftp.fetch → a sink that needs EXIF + XMP (as gps.exif does), on the bench
/// sites behind a 40 ms / 100 Mbit/s link. Whole-file downloads against the link's capacity; header fetches of
/// the thermal site with a pool of 4 and 1..64 requests per connection (how the default was chosen) and 1 × 32;
/// a server killed for 3 s in the middle of a run against the same run without; the RGB site with the defaults.
/// </summary>
public static class SftpBench
{
    private const double LinkBytesPerSecond = 100e6 / 8;

    private sealed record Result(long Images, double Seconds, long Bytes, int Connections, long Payload)
    {
        public double PerSecond => Images / Seconds;
    }

    private static bool _phases;

    public static async Task RunAsync(string[] args)
    {
        _phases = args.Contains("phases"); // ./run.sh bench sftp 0 phases: when each stage started and ended
        var onlyFull = args.Contains("full"); // ./run.sh bench sftp 0 full: the whole-file downloads only
        Console.WriteLine($"load before: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{"run",-46} {"images",6} {"seconds",8} {"images/s",9} {"conns",5} {"KB/image",9} {"of link",8} {"CPU s",7} {"link",5} {"sshd",5}");
        if (!args.Contains("thermal")) // ./run.sh bench sftp 0 thermal: the thermal site only
        await using (var rgb = BenchSite.Rgb())
        {
            var folders = Directory.GetDirectories(rgb.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            await Measure("rgb: full, 1 connection × 1 file", rgb, "full", 1, 1, folders[^1]);
            await Measure("rgb: full, defaults (auto, 4 files each)", rgb, "full", null, null, folders[^2]);
            if (onlyFull) return;
            await Measure("rgb: header, defaults (whole site)", rgb, "header", null, null, null);
        }
        var thermal = BenchSite.Thermal();
        if (thermal is null) return;
        await using (thermal)
        {
            // ./run.sh bench sftp 0: no sweep of requests per connection (only the defaults).
            foreach (var k in args.Length > 0 && args[0] is not ("thermal" or "phases" or "full") ? args[0].Split(',').Where(a => a != "0").Select(int.Parse).ToArray() : [1, 8, 16, 32, 64])
                await Measure($"thermal: header, 4 connections × {k}", thermal, "header", 4, k, null);
            await Measure("thermal: header, 1 connection × 32", thermal, "header", 1, 32, null);
            var baseline = await Measure("thermal: header, defaults (whole site)", thermal, "header", null, null, null);
            var outage = await Measure("thermal: header, defaults, sshd down 3 s", thermal, "header", null, null, null, outage: TimeSpan.FromSeconds(3));
            Console.WriteLine($"outage of 3 s cost {outage.Seconds - baseline.Seconds:0.00} s (goal ≤ 3 + 5 s)");
        }
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static async Task<Result> Measure(string label, BenchSite site, string mode, int? workers, int? perConnection, string? folder, TimeSpan? outage = null)
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
                    root: "{folder ?? "."}"
                    include: ["**/*.JPG", "**/*.jpg"]
                  fetch:
                    type: sftp.fetch
                    connection: site
                    mode: {mode}
                    workers: {(workers is { } w ? w.ToString() : "auto")}
                    requests_per_connection: {perConnection ?? 0}
                    download_dir: {Path.Combine(output, "files")}
                    retry:
                      attempts: 5
                  count:
                    type: bench.discard
                """;
            var registry = new StageRegistry().AddSftp().AddBench();
            var graph = GraphCompiler.Compile(new JobLoader(registry).Parse(yaml, Path.Combine(output, "bench.yaml")));
            var mark = site.Mark();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var running = new PipelineRunner(graph, output).RunAsync(CancellationToken.None);
            if (outage is { } down)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                site.Server.Kill();
                await Task.Delay(down);
                site.Server.Start();
            }
            var result = await running;
            clock.Stop();
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            if (result.Processed != result.Produced || result.Produced == 0)
                throw new InvalidOperationException($"{label}: {result.Processed} of {result.Produced} images processed ({result.Error}; {string.Join("; ", result.Unsuccessful.Take(3).Select(u => u.Reason))})");
            var used = site.Since(mark);
            var (bytes, connections) = (used.Bytes, used.Connections);
            var payload = result.Stages.Single(s => s.Name == "fetch").Bytes;
            var r = new Result(result.Processed, clock.Elapsed.TotalSeconds, bytes, connections, payload);
            var ofLink = mode == "full" ? $"{bytes / r.Seconds / LinkBytesPerSecond,7:0%}" : "";
            Console.WriteLine($"{label,-46} {r.Images,6} {r.Seconds,8:0.00} {r.PerSecond,9:0.0} {connections,5} {bytes / 1000.0 / r.Images,9:0.0} {ofLink,8} {cpu.TotalSeconds,7:0.00} {used.LinkCpu,5:0.00} {used.SshdCpu,5:0.00}");
            if (_phases) Console.WriteLine($"    {RunPhases.Describe(result)}");
            return r;
        }
        finally { Directory.Delete(output, recursive: true); }
    }
}

/// <summary>Bench sink: keeps nothing, and needs what gps.exif needs of a header (so fetches read what they would for it).</summary>
[Stage("bench.discard", "Benchmark sink: keeps nothing; needs EXIF + XMP of a JPEG, as gps.exif does.")]
public sealed class DiscardSink : SinkStage<FileContent, NoOptions>, IJpegHeaderReader
{
    public JpegHeaderNeeds HeaderNeeds { get; } = JpegHeaderNeeds.Of(JpegSegmentKind.ExifTags, JpegSegmentKind.Xmp);

    public override ValueTask ConsumeAsync(Outcome<FileContent> item, ItemContext context) => ValueTask.CompletedTask;
}
