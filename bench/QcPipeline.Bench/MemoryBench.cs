using System.Diagnostics;
using System.Globalization;
using QcPipeline.Demo.Generation;

namespace QcPipeline.Bench;

/// <summary>
/// ./run.sh bench memory [SMALL] [LARGE] — peak memory (resident set) of the local site-scan job
/// (files.list → files.read → gps.exif → gps.aggregate) over SMALL and LARGE generated photos (default 10k and
/// 100k), each run the way a user runs it (the CLI, in a process of its own, which reports its own peak).
/// Goal: peak at 100k ≤ 1.3× peak at 10k. The site is generated once under the temp folder and reused.
/// </summary>
public static class MemoryBench
{
    /// <summary>Photos per folder (one flight each) by default: the small run is the first folder.</summary>
    private const int FolderSize = 10_000;

    public static async Task RunAsync(string[] args)
    {
        var small = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : FolderSize;
        var large = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10 * FolderSize;
        var site = EnsureSite(large, small);
        var work = Directory.CreateTempSubdirectory("qcpipeline-bench-memory-").FullName;
        try
        {
            foreach (var (sink, what) in new[] { ("gps.aggregate", "the job as shipped (CLI, report, gps.aggregate)"),
                         ("bench.drop", "the engine alone (same stages, the aggregate replaced by a sink that keeps nothing)") })
            {
                var (smallPeak, smallItems) = await Child(site, work, small, small, sink, "small");
                var (largePeak, largeItems) = await Child(site, work, large, small, sink, "large");
                Console.WriteLine(what);
                Console.WriteLine($"  {smallItems,7:N0} photos: peak {smallPeak / 1024.0:F0} MB");
                Console.WriteLine($"  {largeItems,7:N0} photos: peak {largePeak / 1024.0:F0} MB");
                Console.WriteLine($"  ratio peak({largeItems:N0}) / peak({smallItems:N0}): {largePeak / (double)smallPeak:F2}x (goal <= 1.30x)");
            }
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    // Folders of `perFolder` photos, enough of them for `total`; generated once (a marker says it is complete).
    private static string EnsureSite(int total, int perFolder)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"qcpipeline-bench-memory-site-{total}-{perFolder}");
        var marker = Path.Combine(dir, ".complete");
        if (File.Exists(marker)) return dir;
        var folders = (total + perFolder - 1) / perFolder;
        var spec = SiteGenerator.DemoSpec with
        {
            Flights = Enumerable.Range(0, folders).Select(f => new FlightSpec($"F{f:000}", (FlightPattern)(f % 3),
                Math.Min(perFolder, total - f * perFolder))).ToList(),
        };
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"generating {total:N0} photos in {folders} folders under {dir} (once)…");
        SiteGenerator.Generate(dir, spec);
        File.WriteAllText(marker, "");
        Console.WriteLine($"generated in {clock.Elapsed.TotalSeconds:F0} s");
        return dir;
    }

    private static async Task<(long PeakKb, long Items)> Child(string site, string work, int photos, int perFolder, string sink, string label)
    {
        label = $"{label}-{sink}";
        var folders = (photos + perFolder - 1) / perFolder;
        var include = string.Join(", ", Enumerable.Range(0, folders).Select(f => $"\"F{f:000}/**\""));
        var job = Path.Combine(work, label + ".yaml");
        File.WriteAllText(job, $$"""
            job: bench-memory
            stages:
              list: { type: files.list, root: "{{site}}", include: [{{include}}] }
              read: { type: files.read }
              gps: { type: gps.exif }
              aggregate: { type: {{sink}} }
            """);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { typeof(MemoryBench).Assembly.Location, MemoryChild.Name, job, "--out", Path.Combine(work, label), "--no-cache" })
            psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true";
        psi.Environment["DOTNET_gcConcurrent"] = "0"; // as the CLI runs (its project turns background GC off)
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var text = await stdout + await stderr;
        var peak = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(MemoryChild.Marker, StringComparison.Ordinal));
        if (p.ExitCode != 0 || peak is null) throw new InvalidOperationException($"memory run {label} failed (exit {p.ExitCode}): {text}");
        var produced = File.ReadAllText(Path.Combine(work, label, "run.json"));
        var items = System.Text.Json.JsonDocument.Parse(produced).RootElement.GetProperty("items").GetProperty("produced").GetInt64();
        return (long.Parse(peak[MemoryChild.Marker.Length..], CultureInfo.InvariantCulture), items);
    }
}

/// <summary>The memory benchmark's child: the CLI, in process, then its own peak resident set (VmHWM).</summary>
public static class MemoryChild
{
    public const string Name = "memory-child";
    public const string Marker = "peak-rss-kb ";

    public static async Task<int> RunAsync(string[] args)
    {
        // The engine alone: the same job through the runner with the benchmark's sink (the CLI does not know it).
        var exit = File.ReadAllText(args[0]).Contains("bench.drop", StringComparison.Ordinal)
            ? await EngineOnlyAsync(args[0], args[2])
            : await QcPipeline.Cli.CommandLine.RunAsync(args);
        var hwm = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        Console.WriteLine(Marker + hwm["VmHWM:".Length..].Trim().Split(' ')[0]);
        return exit;
    }

    private static async Task<int> EngineOnlyAsync(string job, string output)
    {
        var registry = QcPipeline.SiteScan.SiteScanFamily.AddSiteScan(QcPipeline.Files.FilesFamily.AddFiles(new Core.Stages.StageRegistry())).AddBench();
        var graph = Core.Graph.GraphCompiler.Compile(new Core.Jobs.JobLoader(registry).Load(job));
        var result = await new Core.Runtime.PipelineRunner(graph, output, cacheDisabled: true).RunAsync();
        Core.Runtime.RunJson.Write(Path.Combine(output, "run.json"), result);
        return result.ExitCode;
    }
}
