using QcPipeline.Cli;
using QcPipeline.Cluster.TestWorker;
using QcPipeline.Core.Runtime;
using QcPipeline.Demo;
using QcPipeline.Demo.Generation;
using QcPipeline.Ssh;

namespace QcPipeline.Cluster.Tests;

/// <summary>
/// One test's cluster, all real and on loopback: Debian's nats-server with a temporary store, the generated demo
/// site (60 JPEGs with GPS) served by a sandboxed sshd, worker processes, and an output folder.
/// </summary>
public sealed class ClusterSite : IDisposable
{
    static ClusterSite() => StageCatalog.Extend(r => r.AddPace());

    private readonly List<WorkerProcess> _workers = [];

    public ClusterSite()
    {
        Nats = new NatsServerProcess();
        Sshd = new SshdSite(content => Photos = SiteGenerator.Demo(content).Count, prefix: "qc-cluster-site-");
        Output = TestRun.TempDir("qc-cluster-out-");
    }

    public NatsServerProcess Nats { get; }
    public SshdSite Sshd { get; }
    public SshdSandbox Server => Sshd.Server;
    public string Content => Sshd.Content;
    public string Output { get; }
    public int Photos { get; private set; }

    /// <summary>The environment site-scan.yaml reads its server from.</summary>
    public Dictionary<string, string> SiteEnvironment => Sshd.Environment;

    /// <summary>A site scan whose distributed stages are fetch, pace and gps (pace: each item's time on a worker).</summary>
    public string Job(string delay = "100ms", string crashOn = "", string cluster = "", string connection = "") => $"""
        job: cluster-test
        error_budget: 100%
        shutdown_timeout: 5s
        cluster:
          stages: [fetch, pace, gps]
          ack_wait: 1s
          max_deliver: 2
        {cluster}
        connections:
        {Sshd.ConnectionYaml()}
        {connection}
        stages:
          list:
            type: sftp.list
            connection: site
            include: ["**/*.jpg", "**/*.JPG"]
          fetch:
            type: sftp.fetch
            connection: site
            workers: 1
            requests_per_connection: 2
          pace:
            type: test.pace
            delay: {delay}
            crash_on: "{crashOn}"
          gps:
            type: gps.exif
          aggregate:
            type: gps.aggregate
        """;

    /// <summary>Starts a worker process (qcpipeline with test.pace) and waits until it watches for runs.</summary>
    public WorkerProcess StartWorker(string id, int capacity = 2, IDictionary<string, string>? env = null, string? program = null)
    {
        var w = WorkerProcess.Start(id, ["worker", "--cluster", Nats.Url, "--id", id, "--capacity", capacity.ToString()], env, program: program);
        _workers.Add(w);
        w.WaitFor("waiting for runs", TimeSpan.FromSeconds(60));
        return w;
    }

    /// <summary>Runs <paramref name="yaml"/> as the coordinator here, in this process.</summary>
    public async Task<(RunResult Result, string Output)> CoordinateAsync(string yaml, Action<PipelineRunner>? during = null, IDictionary<string, string>? env = null)
    {
        var registry = StageCatalog.Create();
        var graph = TestRun.Compile(registry, yaml, Path.Combine(Output, "job.yaml"),
            n => env is not null && env.TryGetValue(n, out var v) ? v : Environment.GetEnvironmentVariable(n));
        var plan = ClusterPlan.Resolve(graph, registry, Nats.Url)!;
        var output = Path.Combine(Output, Guid.NewGuid().ToString("N")[..8]);
        var runner = new PipelineRunner(graph, output, cacheDisabled: true, new ClusterCoordinator(plan, graph, registry, _ => { }));
        during?.Invoke(runner);
        var result = await runner.RunGuardedAsync(TimeSpan.FromMinutes(3),
            hung: () => "workers said:\n" + string.Join("\n", _workers.Select(w => w.Output)));
        return (result, output);
    }

    /// <summary>The photos in points.csv, as folder/file (one row per photo).</summary>
    public static List<string> Points(string output)
    {
        var lines = File.ReadAllLines(Path.Combine(output, "points.csv"));
        var header = lines[0].Split(',').ToList();
        int folder = header.IndexOf("folder"), file = header.IndexOf("file");
        return lines.Skip(1).Select(l => l.Split(',')).Select(c => $"{c[folder]}/{c[file]}").ToList();
    }

    /// <summary>A process this test started (disposed with the site).</summary>
    public WorkerProcess Track(WorkerProcess w)
    {
        _workers.Add(w);
        return w;
    }

    public void Dispose()
    {
        foreach (var w in _workers) w.Dispose();
        Sshd.Dispose();
        Nats.Dispose();
        try { Directory.Delete(Output, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
