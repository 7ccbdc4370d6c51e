using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using QcPipeline.SiteScan.Generation;

namespace QcPipeline.Bench;

/// <summary>
/// ./run.sh bench site-memory [SMALL] [LARGE] — peak memory of a local site scan (files.list → files.read →
/// gps.exif → gps.aggregate, as the CLI runs it: cache on and cold, report.html written) over generated sites of
/// SMALL and LARGE photos (default 10,000 and 100,000: folders of 1,000 lawnmower photos). Each run is the real CLI
/// in a process of its own; its peak resident set is read with getrusage by a small probe process that started
/// it. Reported as LARGE / SMALL, with the engine's timeline on (the default) and off (outputs.timeline_limit: 0).
/// </summary>
public static class SiteMemoryBench
{
    public static async Task RunAsync(string[] args)
    {
        var small = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var large = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        var cli = Path.Combine(Checkout(), "engine", "QcPipeline.Cli", "bin", "Release", "net10.0", "qcpipeline.dll");
        if (!File.Exists(cli)) throw new InvalidOperationException($"build the CLI first ({cli} is missing): ./run.sh builds it");
        var work = Directory.CreateTempSubdirectory("qcpipeline-bench-memory-").FullName;
        try
        {
            var results = new Dictionary<(int, bool), long>();
            foreach (var size in new[] { small, large })
            {
                var site = Path.Combine(work, $"site-{size}");
                var clock = Stopwatch.StartNew();
                PlannedPhoto.WriteAll(site, Site(size));
                Console.WriteLine($"site of {size:N0} photos written in {clock.Elapsed.TotalSeconds:0} s");
                foreach (var timeline in new[] { true, false })
                {
                    var (peak, seconds) = await Measure(cli, work, site, size, timeline);
                    results[(size, timeline)] = peak;
                    Console.WriteLine($"  {size,7:N0} photos, timeline {(timeline ? "on " : "off")}: peak RSS {peak / 1048576.0,7:0.0} MiB, {seconds,5:0.0} s");
                }
                Directory.Delete(site, recursive: true);
            }
            foreach (var timeline in new[] { true, false })
                Console.WriteLine($"peak at {large:N0} / peak at {small:N0}, timeline {(timeline ? "on (default)" : "off")}: "
                                  + $"{results[(large, timeline)] / (double)results[(small, timeline)]:0.00} (goal ≤ 1.30)");
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    /// <summary>Folders of 1,000 photos (20 lines of 48 and their turns), each its own block and time.</summary>
    private static IEnumerable<PlannedPhoto> Site(int photos)
    {
        var folders = (photos + 999) / 1000;
        return Enumerable.Range(0, folders).SelectMany(f => FlightPlans.Lawnmower($"DJI_2025091{f / 100 % 10}{f % 100:00}00_{f + 1:000}_block", new FlightPlan
        {
            Lines = 20, PhotosPerLine = 48, Seed = f + 1, Start = new DateTime(2025, 9, 14, 6, 0, 0).AddMinutes(40 * f),
            Latitude = 47.0 + f / 20 * 0.01, Longitude = 8.0 + f % 20 * 0.015,
        })).Take(photos);
    }

    private static async Task<(long Peak, double Seconds)> Measure(string cli, string work, string site, int size, bool timeline)
    {
        var name = $"memory-{size}-{(timeline ? "on" : "off")}";
        var job = Path.Combine(work, name + ".yaml");
        File.WriteAllText(job, $$"""
            job: {{name}}
            outputs: { {{(timeline ? "" : "timeline_limit: 0")}} }
            stages:
              list: { type: files.list, root: "{{site}}", include: ["**/*.JPG"] }
              fetch: { type: files.read, mode: header }
              gps: { type: gps.exif, cache_dir: "{{Path.Combine(work, name + "-cache")}}" }
              aggregate: { type: gps.aggregate }
            """);
        var probe = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        foreach (var a in new[] { typeof(SiteMemoryBench).Assembly.Location, "memory-probe", cli, job, "--out", Path.Combine(work, name + "-out") })
            probe.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(probe)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("maxrss ", StringComparison.Ordinal))
                   ?? throw new InvalidOperationException($"the probe printed no peak ({p.ExitCode}): {output}");
        Directory.Delete(Path.Combine(work, name + "-out"), recursive: true);
        return (long.Parse(line[7..], CultureInfo.InvariantCulture), clock.Elapsed.TotalSeconds);
    }

    /// <summary>The probe: runs the CLI with the given arguments and prints its peak resident set (bytes).</summary>
    public static async Task ProbeAsync(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"the run failed ({p.ExitCode}): {await stderr}{await stdout}");
        if (getrusage(-1, out var usage) != 0) throw new InvalidOperationException("getrusage failed");
        Console.WriteLine($"maxrss {usage.MaxRssKiB * 1024}");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSec, UserUsec, SystemSec, SystemUsec;
        public long MaxRssKiB;
        public long Rest0, Rest1, Rest2, Rest3, Rest4, Rest5, Rest6, Rest7, Rest8, Rest9, Rest10, Rest11, Rest12;
    }

    // RUSAGE_CHILDREN (-1): the largest peak resident set of the children waited for.
    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out Rusage usage);

    private static string Checkout()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "QcPipeline.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find QcPipeline.sln above " + AppContext.BaseDirectory);
    }
}
