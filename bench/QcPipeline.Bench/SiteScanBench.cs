using System.Diagnostics;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Sftp;
using QcPipeline.SiteScan;
using QcPipeline.SiteScan.Generation;
using QcPipeline.Ssh;

namespace QcPipeline.Bench;

/// <summary>
/// ./run.sh bench site-scan — the site-scan job end to end on the SFTP benchmark's site (1,375 JPEGs of ~5 MB
/// behind a 40 ms / 100 Mbit/s link): cold (empty cache) and warm, against what a user would otherwise do in
/// the same run: download with OpenSSH's sftp and run exiftool -n -csv over the files. The peer takes one
/// folder (at 100 Mbit/s the whole site takes a quarter of an hour) and its per-image rate is scaled to the site.
/// </summary>
public static class SiteScanBench
{
    public static async Task RunAsync(string[] args)
    {
        var workers = args.Length > 0 ? int.Parse(args[0]) : 16;
        await using var site = BenchSite.Start();
        var (server, link, siteDir) = (site.Server, site.Link, site.Directory);
        var work = Directory.CreateTempSubdirectory("qcpipeline-bench-sitescan-").FullName;
        try
        {
            Console.WriteLine($"site: {site.Images} images; link: 40 ms round trip, 100 Mbit/s; fetch workers: {workers}");
            var cache = Path.Combine(work, "cache");
            var cold = await RunJob(site, work, cache, workers, "cold");
            var warm = await RunJob(site, work, cache, workers, "warm");

            var folder = Directory.GetDirectories(siteDir).Order(StringComparer.Ordinal).Last();
            var sample = Directory.GetFiles(folder).Length;
            var (download, exif) = Peer(server, link, Path.GetFileName(folder), Path.Combine(work, "peer"));
            var peerPerImage = (download + exif) / sample;
            var peerSite = peerPerImage * site.Images;
            Console.WriteLine($"{"peer: sftp get + exiftool -n -csv",-36} {sample,5} images  download {download:0.0} s + exiftool {exif:0.0} s" +
                              $"  → {peerSite:0} s for the site ({peerSite / 60:0.0} min)");
            Console.WriteLine();
            Console.WriteLine($"cold {cold:0.0} s (goal ≤ 15 s), warm {warm:0.00} s (goal ≤ 2 s); cold is {peerSite / cold:0}× faster than the peer");
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    private static async Task<double> RunJob(BenchSite site, string work, string cache, int workers, string label)
    {
        var output = Path.Combine(work, label);
        var yaml = $"""
            job: bench-site-scan
            {site.ConnectionsYaml}
            stages:
              list:
                type: sftp.list
                connection: site
                include: ["**/*.JPG", "**/*.jpg"]
              fetch:
                type: sftp.fetch
                connection: site
                mode: header
                workers: {workers}
              gps:
                type: gps.exif
                cache_dir: {cache}
              aggregate:
                type: gps.aggregate
            """;
        var registry = new StageRegistry().AddSftp().AddSiteScan();
        var graph = GraphCompiler.Compile(new JobLoader(registry).Parse(yaml, Path.Combine(work, "site-scan.yaml")));
        var clock = Stopwatch.StartNew();
        var result = await new PipelineRunner(graph, output).RunAsync(CancellationToken.None);
        var seconds = clock.Elapsed.TotalSeconds;
        if (result.Processed != result.Produced) throw new InvalidOperationException($"{label}: {result.Processed} of {result.Produced} processed ({result.Error})");
        var fetched = result.Stages.Single(s => s.Name == "fetch");
        var rows = File.ReadLines(Path.Combine(output, "points.csv")).Count() - 1;
        Console.WriteLine($"{"qcpipeline site-scan, " + label,-36} {result.Produced,5} images  {seconds,6:0.00} s  fetched {fetched.Out} ({fetched.Bytes / 1e6:0.0} MB), {rows} rows in points.csv");
        return seconds;
    }

    // OpenSSH's own client through the same link, then exiftool over what it downloaded.
    private static (double Download, double Exif) Peer(SshdSandbox server, LatencyProxy link, string folder, string target)
    {
        Directory.CreateDirectory(target);
        var clock = Stopwatch.StartNew();
        Run("sftp", $"get -r \"{folder}\" \"{target}\"\n",
            "-q", "-b", "-", "-P", link.Port.ToString(), "-i", server.ClientKeyPath,
            "-o", $"UserKnownHostsFile={server.KnownHostsPath}", "-o", $"HostKeyAlias=[127.0.0.1]:{server.Port}",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", $"{server.User}@127.0.0.1");
        var download = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var csv = Run("exiftool", null, "-n", "-csv", "-r", "-GPSLatitude", "-GPSLongitude", "-GPSAltitude", "-DateTimeOriginal", target);
        var exif = clock.Elapsed.TotalSeconds;
        if (csv.Split('\n').Length < 3) throw new InvalidOperationException("exiftool printed no rows");
        return (download, exif);
    }

    private static string Run(string file, string? input, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"{file} could not start");
        if (input is not null) p.StandardInput.Write(input);
        p.StandardInput.Close();
        var error = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {error.Result.Trim()}");
        return output;
    }
}
