using System.Diagnostics;
using QcPipeline.Cli;
using QcPipeline.Cluster;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;

namespace QcPipeline.Bench;

/// <summary>
/// ./run.sh bench cluster — scale-out where each worker's own capacity is the bottleneck: the RGB bench site (1,375
/// photos) behind the 40 ms link, each fetching machine with one SFTP connection and 4 requests in flight on it.
/// The same job runs locally (the baseline), then distributed over 1, 2, 3 and 4 worker processes (real
/// `qcpipeline worker`s on a real nats-server), then over 3 workers one of which is killed (SIGKILL) a third of the
/// way in. All runs in one process, back to back; throughput is photos per second of the whole run.
/// </summary>
public static class ClusterBench
{
    private const string Capacity = "--set stages.fetch.workers=1 --set stages.fetch.requests_per_connection=4";

    public static async Task RunAsync(string[] args)
    {
        var counts = args.Length > 0 ? args[0].Split(',').Select(int.Parse).ToArray() : [1, 2, 3, 4];
        Console.WriteLine($"load before: {File.ReadAllText("/proc/loadavg").Trim()} ({Environment.ProcessorCount} cores)");
        await using var site = BenchSite.Rgb();
        using var nats = new NatsServerProcess();
        var work = Directory.CreateTempSubdirectory("qcpipeline-bench-cluster-").FullName;
        try
        {
            var knownHosts = Path.Combine(work, "known_hosts");
            File.WriteAllText(knownHosts, File.ReadAllText(site.Server.KnownHostsPath).Replace($"[127.0.0.1]:{site.Server.Port}", $"[127.0.0.1]:{site.Link.Port}"));
            var job = Job(site, knownHosts);
            Console.WriteLine($"site: {site.Images} photos, link 40 ms / 100 Mbit/s; each machine: 1 connection × 4 requests ({Capacity})");
            var local = await RunAsync(job, work, "local", null, 0);
            Console.WriteLine($"{"",-12} {"run",8}  {"photos/s",8}  {"steady",8}  (steady: between 10 % and 90 % of the photos done)");
            Console.WriteLine($"{"local",-12} {local.Seconds,6:0.00} s  {local.PerSecond,8:0.0}  {local.Steady,8:0.0}");
            Timed? one = null;
            foreach (var n in counts)
            {
                var r = await RunAsync(job, work, $"cluster{n}", nats.Url, n);
                one ??= n == 1 ? r : null;
                var scaling = one is { } t1 ? $"run {r.PerSecond / (n * t1.PerSecond):0.00}, steady {r.Steady / (n * t1.Steady):0.00} of {n} × one worker (goal ≥ 0.80)" : "";
                Console.WriteLine($"{$"{n} worker" + (n > 1 ? "s" : ""),-12} {r.Seconds,6:0.00} s  {r.PerSecond,8:0.0}  {r.Steady,8:0.0}  " +
                                  (n == 1 ? $"run ×{r.PerSecond / local.PerSecond:0.00}, steady ×{r.Steady / local.Steady:0.00} the local run (goal ≥ 0.90)" : scaling) +
                                  $"  {r.Result.Processed}/{site.Images} processed");
            }
            var killed = await RunAsync(job, work, "killed", nats.Url, 3, killOne: site.Images / 3);
            var points = File.ReadAllLines(Path.Combine(killed.Output, "points.csv")).Length - 1;
            Console.WriteLine($"{"3, 1 killed",-12} {killed.Seconds,6:0.00} s  {killed.PerSecond,8:0.0}  {killed.Steady,8:0.0}  {killed.Result.Processed}/{site.Images} processed, " +
                              $"{points} rows in points.csv, {killed.Report?.Totals.Redelivered} redelivered, {killed.Report?.Totals.Duplicates} duplicates → " +
                              $"{site.Images - killed.Result.Processed} lost (goal 0)");
        }
        finally { Directory.Delete(work, recursive: true); }
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    /// <param name="Steady">Photos per second between the 10th and the 90th percent of the photos done: the rate once
    /// listing has started and every worker has connected, before the last items drain.</param>
    private sealed record Timed(double Seconds, double PerSecond, double Steady, RunResult Result, ClusterReport? Report, string Output);

    private static string Job(BenchSite site, string knownHosts) => File.ReadAllText(Path.Combine(TestKit.Checkout.Root, "pipelines", "site-scan.yaml"))
        .Replace("${SFTP_HOST:-demo}", "127.0.0.1").Replace("${SFTP_PORT:-22}", site.Link.Port.ToString())
        .Replace("${SFTP_USER:-}", site.Server.User).Replace("${SFTP_KEY:-}", site.Server.ClientKeyPath)
        .Replace("${SFTP_KNOWN_HOSTS:-~/.ssh/known_hosts}", knownHosts)
        .Replace("  stages: [fetch, gps]", "  stages: [fetch, gps]\n  ack_wait: 2s");

    private static async Task<Timed> RunAsync(string yaml, string work, string name, string? url, int workers, int killOne = 0)
    {
        var processes = Enumerable.Range(1, workers).Select(i => Worker(url!, $"{name}-w{i}")).ToList();
        try
        {
            var registry = StageCatalog.Create();
            var overrides = Capacity.Split(' ').Where(a => a != "--set").ToList();
            var graph = GraphCompiler.Compile(new JobLoader(registry).Parse(yaml, Path.Combine(work, "site-scan.yaml"), overrides));
            var plan = url is null ? null : ClusterPlan.Resolve(graph, registry, url);
            var output = Path.Combine(work, name);
            var runner = new PipelineRunner(graph, output, cacheDisabled: true, plan is null ? null : new ClusterCoordinator(plan, graph, registry, _ => { }));
            var done = 0;
            var finished = new List<double>();
            var clock = Stopwatch.StartNew();
            runner.ItemFinished += _ =>
            {
                lock (finished) finished.Add(clock.Elapsed.TotalSeconds);
                if (Interlocked.Increment(ref done) == killOne) processes[0].Kill();
            };
            var result = await runner.RunAsync();
            var seconds = clock.Elapsed.TotalSeconds;
            finished.Sort();
            int p10 = finished.Count / 10, p90 = finished.Count * 9 / 10;
            var steady = finished.Count > 10 ? (p90 - p10) / (finished[p90] - finished[p10]) : 0;
            return new Timed(seconds, result.Processed / seconds, steady, result, result.Sections.GetValueOrDefault("cluster") as ClusterReport, output);
        }
        finally
        {
            foreach (var p in processes)
            {
                try { if (!p.HasExited) p.Kill(); p.WaitForExit(); } catch (InvalidOperationException) { }
                p.Dispose();
            }
        }
    }

    // A real `qcpipeline worker`, ready (watching for runs) before the run starts.
    private static Process Worker(string url, string id)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "qcpipeline.dll"), "worker", "--cluster", url, "--id", id }) info.ArgumentList.Add(a);
        info.Environment["CI"] = "true";
        var p = Process.Start(info)!;
        var ready = new TaskCompletionSource();
        p.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("waiting for runs") == true) ready.TrySetResult(); };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(60))) throw new InvalidOperationException($"worker {id} did not start");
        return p;
    }
}
