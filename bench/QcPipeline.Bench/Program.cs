using QcPipeline.Bench;

// ./run.sh bench [NAME]: each benchmark measures against a baseline in the same run (the machine is shared
// and noisy: ratios, not absolute figures, are what BENCHMARKS.md records).
if (args is [MemoryChild.Name, .. var childArgs]) return await MemoryChild.RunAsync(childArgs);
var benches = new Dictionary<string, Func<string[], Task>>(StringComparer.Ordinal)
{
    ["engine"] = EngineBench.RunAsync,
    ["inspection"] = InspectionBench.RunAsync, ["deeppcb"] = InspectionBench.DeepPcbAsync,
    ["deeppcb-cv"] = DeepPcbTuning.RunAsync, ["decode"] = DecodeBench.RunAsync,
    ["telemetry"] = TelemetryBench.RunAsync,
    ["sftp"] = SftpBench.RunAsync,
    ["site-scan"] = SiteScanBench.RunAsync,
    ["flight-qc"] = FlightQcBench.RunAsync,
    ["memory"] = MemoryBench.RunAsync,
    ["serve"] = ServeBench.RunAsync,
    ["cluster"] = ClusterBench.RunAsync,
};
if (args is ["link", .. var linkArgs]) return await BenchLink.ServeAsync(linkArgs); // the benchmarks' link, in a process of its own
var name = args.Length > 0 ? args[0] : null;
if (name is not null && !benches.ContainsKey(name))
{
    Console.Error.WriteLine($"bench: unknown benchmark '{name}'; one of: {string.Join(", ", benches.Keys)}");
    return 2;
}
foreach (var (n, run) in benches.Where(b => name is null || b.Key == name))
{
    Console.WriteLine($"== bench {n}");
    await run(args.Skip(1).ToArray());
}
return 0;
