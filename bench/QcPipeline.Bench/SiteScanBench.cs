using System.Diagnostics;
using QcPipeline.Cluster;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Sftp;
using QcPipeline.SiteScan;
using QcPipeline.TestKit;

namespace QcPipeline.Bench;

/// <summary>
/// ./run.sh bench site-scan — the shipped pipelines/site-scan.yaml, as it is (its defaults: workers auto, so at
/// most 4 connections), on the RGB and the thermal bench sites behind a 40 ms / 100 Mbit/s link: cold (empty
/// photo cache) and warm, with connections opened and bytes on the wire per photo; against the peer in the same
/// run (sshfs -o max_conns=16 + exiftool -fast2, 16 at once) on the site's smallest folders, scaled per photo.
/// </summary>
public static class SiteScanBench
{
    private sealed record Run(double Seconds, long Photos, long Bytes, int Connections, long Rows)
    {
        public double KbPerPhoto => Bytes / 1000.0 / Photos;
    }

    public static async Task RunAsync(string[] args)
    {
        var peerSample = args.Length > 0 ? int.Parse(args[0]) : 150;
        Console.WriteLine($"load before: {File.ReadAllText("/proc/loadavg").Trim()}");
        await using (var rgb = BenchSite.Rgb()) await SiteAsync(rgb, peerSample, coldGoal: 3);
        var thermal = BenchSite.Thermal();
        if (thermal is not null) await using (thermal) await SiteAsync(thermal, peerSample, coldGoal: 4);
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static async Task SiteAsync(BenchSite site, int peerSample, double coldGoal)
    {
        Console.WriteLine($"== {site.Name} site: {site.Images} photos in {Directory.GetDirectories(site.Directory).Length} folders; link 40 ms, 100 Mbit/s");
        var work = Directory.CreateTempSubdirectory("qcpipeline-bench-sitescan-").FullName;
        try
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", Path.Combine(work, "cache")); // the shipped job's photo cache, empty
            var knownHosts = Path.Combine(work, "known_hosts"); // sshd's key, under the link's port
            File.WriteAllText(knownHosts, File.ReadAllText(site.Server.KnownHostsPath).Replace($"[127.0.0.1]:{site.Server.Port}", $"[127.0.0.1]:{site.Link.Port}"));
            var cold = await ShippedJob(site, work, knownHosts, "cold");
            var warm = await ShippedJob(site, work, knownHosts, "warm");
            if (peerSample == 0) return; // ./run.sh bench site-scan 0: our runs only
            var peer = SshfsPeer.Run(site, SshfsPeer.Sample(site, peerSample));
            var peerSite = peer.SecondsPerPhoto * site.Images;
            Console.WriteLine($"{"peer: sshfs max_conns=16 + exiftool -fast2 ×16",-44} {peer.Photos,5} photos {peer.Seconds,7:0.00} s  {peer.Connections,2} connections  {peer.Bytes / 1000.0 / peer.Photos,7:0.0} KB/photo" +
                              $"  → {peerSite:0} s for the site");
            Console.WriteLine($"{site.Name}: cold {cold.Seconds:0.00} s (goal ≤ {coldGoal} s), warm {warm.Seconds:0.00} s (goal ≤ 1 s), " +
                              $"{cold.KbPerPhoto:0.0} KB per photo on the wire (goal ≤ 40), {cold.Connections} connections; " +
                              $"cold is {peerSite / cold.Seconds:0.0}× the peer (goal ≥ 20×)");
            Console.WriteLine();
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null);
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<Run> ShippedJob(BenchSite site, string work, string knownHosts, string label)
    {
        var shipped = Path.Combine(Checkout.Root, "pipelines", "site-scan.yaml");
        var env = new Dictionary<string, string>
        {
            ["SFTP_HOST"] = "127.0.0.1", ["SFTP_PORT"] = site.Link.Port.ToString(), ["SFTP_USER"] = site.Server.User,
            ["SFTP_KEY"] = site.Server.ClientKeyPath, ["SFTP_KNOWN_HOSTS"] = knownHosts,
        };
        var registry = new StageRegistry().AddSftp().AddSiteScan().AddCluster(); // the shipped job has a cluster: section
        var graph = GraphCompiler.Compile(new JobLoader(registry, n => env.GetValueOrDefault(n) ?? Environment.GetEnvironmentVariable(n)).Load(shipped));
        var output = Path.Combine(work, label);
        var mark = site.Mark();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var result = await new PipelineRunner(graph, output).RunAsync(CancellationToken.None);
        var seconds = clock.Elapsed.TotalSeconds;
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        if (result.Processed != result.Produced) throw new InvalidOperationException($"{label}: {result.Processed} of {result.Produced} processed ({result.Error})");
        var used = site.Since(mark);
        var (bytes, connections) = (used.Bytes, used.Connections);
        var rows = File.ReadLines(Path.Combine(output, "points.csv")).Count() - 1;
        var fetch = result.Stages.Single(s => s.Name == "fetch");
        var run = new Run(seconds, result.Produced, bytes, connections, rows);
        Console.WriteLine($"{"qcpipeline site-scan (shipped job), " + label,-44} {result.Produced,5} photos {seconds,7:0.00} s  {connections,2} connections  {run.KbPerPhoto,7:0.0} KB/photo" +
                          $"  fetched {fetch.Out} with {fetch.Workers} connection(s), {rows} rows in points.csv");
        Console.WriteLine($"    CPU: job {cpu.TotalSeconds:0.00} s, link {used.LinkCpu:0.00} s, sshd {used.SshdCpu:0.00} s; {RunPhases.Describe(result)}");
        return run;
    }
}
