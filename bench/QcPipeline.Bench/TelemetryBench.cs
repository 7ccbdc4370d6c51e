using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Telemetry;

namespace QcPipeline.Bench;

/// <summary>
/// What tracing costs a CPU-bound job: the same pipeline (parse ~1 ms per item → fan out 4 parts → check
/// ~0.2 ms per part → join → sink: 8 spans per item) with telemetry off, on for every item, and sampled at
/// 10%, alternating in one process, exported over OTLP/HTTP to a receiver on loopback that reads and drops
/// the requests. Goal: full tracing at most 10% slower than off.
/// </summary>
public static class TelemetryBench
{
    public static async Task RunAsync(string[] args)
    {
        var items = args.Length > 0 ? int.Parse(args[0]) : 2000;
        var parseMicros = args.Length > 1 ? int.Parse(args[1]) : 1000; // the check stage takes a fifth of it per part
        const int rounds = 5;
        var workers = Math.Max(1, Environment.ProcessorCount);
        using var sink = new OtlpSink();
        var registry = new StageRegistry().AddBench().AddTelemetry();
        string Yaml(int n, string telemetry) => $$"""
            job: telemetry-bench
            outputs: { report: false }
            telemetry: {{telemetry}}
            stages:
              source: { type: bench.count, items: {{n}} }
              parse: { type: bench.busy, micros: {{parseMicros}}, workers: {{workers}} }
              split: { type: bench.parts, parts: 4 }
              check: { type: bench.busy, micros: {{parseMicros / 5}}, workers: {{workers}} }
              join: { type: bench.gather }
              sink: { type: bench.drain }
            """;
        var modes = new (string Name, string Telemetry)[]
        {
            ("off", "{ traces: false, metrics: false }"),
            ("on (all items)", $"{{ endpoint: \"{sink.Endpoint}\", protocol: http/protobuf }}"),
            ("sampled 10%", $"{{ endpoint: \"{sink.Endpoint}\", protocol: http/protobuf, sample_ratio: 0.1 }}"),
        };
        var outDir = Path.Combine(Path.GetTempPath(), "qcpipeline-bench-telemetry");
        foreach (var m in modes) await Once(registry, Yaml(200, m.Telemetry), outDir); // warm up every path

        var times = modes.Select(_ => new List<double>()).ToArray();
        var cpu = modes.Select(_ => new List<double>()).ToArray();
        long spansBefore = sink.Requests;
        for (var r = 0; r < rounds; r++)
            for (var i = 0; i < modes.Length; i++)
            {
                var (wall, cpuTime) = await Once(registry, Yaml(items, modes[i].Telemetry), outDir);
                times[i].Add(wall);
                cpu[i].Add(cpuTime);
            }

        Console.WriteLine($"items: {items:N0} (8 spans each when traced), workers: {workers}, CPU per item ≈ {parseMicros * 1.8 / 1000:F2} ms, {rounds} rounds alternating; OTLP requests received: {sink.Requests - spansBefore:N0}");
        var offMedian = Median(times[0]);
        var offBest = times[0].Min();
        for (var i = 0; i < modes.Length; i++)
        {
            var median = Median(times[i]);
            Console.WriteLine($"{modes[i].Name,-16}: wall median {median:F3} s  best {times[i].Min():F3} s  {items / median:N0} items/s  CPU median {Median(cpu[i]):F3} s"
                + (i == 0 ? "" : $"  ratio to off: wall median {median / offMedian:F3}x, best {times[i].Min() / offBest:F3}x, CPU {Median(cpu[i]) / Median(cpu[0]):F3}x"));
        }
        // CPU time (the process's, the loopback receiver included) is steadier than wall time on a shared machine.
        Console.WriteLine($"full tracing overhead: wall (median) {(Median(times[1]) / offMedian - 1) * 100:F1}%, CPU (median) {(Median(cpu[1]) / Median(cpu[0]) - 1) * 100:F1}% (goal <= 10%)");
    }

    private static async Task<(double Wall, double Cpu)> Once(StageRegistry registry, string yaml, string outDir)
    {
        var graph = GraphCompiler.Compile(new JobLoader(registry).Parse(yaml, "telemetry-bench.yaml"));
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        RunResult result;
        // As the CLI does: the session spans the run and is flushed before the time is taken.
        using (var session = TelemetrySession.Start(graph.Job, w => Console.Error.WriteLine("bench: " + w)))
        {
            result = await new PipelineRunner(graph, outDir).RunAsync();
            session.Flush();
        }
        sw.Stop();
        if (!result.CountsAddUp || result.Processed != result.Produced) throw new InvalidOperationException("telemetry bench lost items");
        return (sw.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds);
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    /// <summary>An OTLP/HTTP endpoint that reads each request and answers 200, like a collector that keeps up.</summary>
    private sealed class OtlpSink : IDisposable
    {
        private readonly HttpListener _listener = new();
        private long _requests;

        public OtlpSink()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Endpoint = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Endpoint + "/");
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    try
                    {
                        var ctx = await _listener.GetContextAsync();
                        await ctx.Request.InputStream.CopyToAsync(Stream.Null);
                        Interlocked.Increment(ref _requests);
                        ctx.Response.StatusCode = 200;
                        ctx.Response.Close();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
                }
            });
        }

        public string Endpoint { get; }
        public long Requests => Interlocked.Read(ref _requests);
        public void Dispose() => _listener.Close();
    }
}

public sealed class BusyOptions
{
    [QcPipeline.Core.Options.Option("CPU time per item, in microseconds.", Min = 0)]
    public int Micros { get; init; } = 1000;
}

[Stage("bench.busy", "Benchmark transform: keeps a core busy for a fixed time per item (like parsing EXIF).")]
public sealed class BusyStage : TransformStage<Num, Num, BusyOptions>
{
    public override ValueTask<Num> ProcessAsync(Num item, ItemContext context)
    {
        var until = Stopwatch.GetTimestamp() + Options.Micros * Stopwatch.Frequency / 1_000_000;
        var x = item.Value;
        while (Stopwatch.GetTimestamp() < until) x = x * 6364136223846793005L + 1442695040888963407L;
        return ValueTask.FromResult(item with { Value = item.Value + (x & 1) });
    }
}

public sealed class PartsOptions
{
    [QcPipeline.Core.Options.Option("Children per item.", Min = 1)]
    public int Parts { get; init; } = 4;
}

[Stage("bench.parts", "Benchmark fan-out: splits each item into N parts.")]
public sealed class PartsStage : FanOutStage<Num, Num, PartsOptions>
{
    public override IReadOnlyList<Num> Expand(Num item, ItemContext context) =>
        Enumerable.Range(0, Options.Parts).Select(i => new Num(item.Value * 16 + i)).ToList();
}

[Stage("bench.gather", "Benchmark join: sums the parts of an item.")]
public sealed class GatherStage : JoinStage<Num, Num, NoOptions>
{
    public override Num Combine(JoinGroup<Num> group, ItemContext context) => new(group.Items.Sum(i => i.Value?.Value ?? 0));
}
