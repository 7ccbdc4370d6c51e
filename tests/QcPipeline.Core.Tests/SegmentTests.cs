using System.Text.Json;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>
/// A contiguous run of stages executed elsewhere: here "elsewhere" is a <see cref="SegmentHost"/> on a graph compiled
/// a second time from the same job (as another machine would), items crossing as their wire JSON. The run's
/// accounting, on_error and outputs must be those of a local run.
/// </summary>
public sealed class SegmentTests
{
    static SegmentTests() => Harness.Registry.WireItem<Num>("num");

    private const string Job = """
        job: segment
        stages:
          numbers: {type: test.numbers, count: 30}
          map: {type: test.map, fail_keys: [n3, n17], on_error: dead_letter, skip_ratio: 0.1, seed: 4}
          split: {type: test.split, children: 3}
          check: {type: test.map, fail_keys: ["n5#1"]}
          join: {type: test.join}
          collect: {type: test.collect, tag: TAG}
        """;

    /// <summary>Runs the segment in a host of its own, items and results through JSON.</summary>
    private sealed class Loopback(GraphSegment segment, PipelineGraph elsewhere) : ISegmentExecutor
    {
        private SegmentHost? _host;
        private readonly WireType _wire = Harness.Registry.WireTypes[typeof(Num)];

        public GraphSegment Segment => segment;
        public int MaxOutstanding => 8;
        public string ReportName => "loopback";
        public int Requests;

        public async Task StartAsync(SegmentRun run, CancellationToken ct)
        {
            var there = GraphSegment.Resolve(elsewhere, segment.Nodes.Select(n => n.Name).ToList(), m => throw new InvalidOperationException(m))!;
            _host = new SegmentHost(elsewhere, there, Harness.TempDir(), [new("qc.test.host", "loopback")]);
            await _host.StartAsync(ct);
        }

        public async Task<SegmentOutcome> ExecuteAsync(SegmentRequest request, CancellationToken ct)
        {
            Interlocked.Increment(ref Requests);
            var sent = request with { Item = _wire.Decode(_wire.Encode(request.Item)) };
            var outcome = await _host!.ProcessAsync(sent);
            return outcome.Value is { } v ? outcome with { Value = _wire.Decode(_wire.Encode(v)) } : outcome;
        }

        public void Stopping() => _host?.Stop();
        public async Task StopAsync() => await _host!.StopAsync();
        public object? Report() => new { requests = Requests };
    }

    private static async Task<(RunResult Result, List<string> Sunk, string Output)> RunAsync(bool remote)
    {
        var tag = Guid.NewGuid().ToString("N");
        var yaml = Job.Replace("TAG", tag);
        var graph = Harness.Compile(yaml);
        Loopback? loopback = null;
        if (remote)
        {
            var segment = GraphSegment.Resolve(graph, ["map", "split", "check", "join"], m => throw new InvalidOperationException(m))!;
            loopback = new Loopback(segment, Harness.Compile(yaml));
        }
        var output = Harness.TempDir();
        var result = await new PipelineRunner(graph, output, remote: loopback).RunGuardedAsync(Harness.Limit);
        var sunk = Probe.Of(tag).Sunk.Select(o => $"{o.Key}:{(o.IsOk ? o.Value!.Value.ToString() : o.Failure?.Reason ?? "skipped " + o.SkipReason)}").Order().ToList();
        if (loopback is not null) Assert.Equal(30, loopback.Requests);
        return (result, sunk, output);
    }

    [Fact]
    public async Task Stages_run_elsewhere_end_every_item_as_a_local_run_does()
    {
        var local = await RunAsync(remote: false);
        var remote = await RunAsync(remote: true);
        Assert.True(remote.Result.CountsAddUp);
        Assert.Equal((local.Result.Processed, local.Result.Failed, local.Result.Skipped), (remote.Result.Processed, remote.Result.Failed, remote.Result.Skipped));
        Assert.Equal(local.Sunk, remote.Sunk);
        Assert.Equal(local.Result.Unsuccessful.Select(u => (u.Item, u.Stage, u.Reason)).Order(), remote.Result.Unsuccessful.Select(u => (u.Item, u.Stage, u.Reason)).Order());
        // on_error: dead_letter of a stage that ran elsewhere is applied here, once per failed item.
        var letters = File.ReadAllLines(Path.Combine(remote.Output, OutputFiles.DeadLetter)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("item").GetString()).Order();
        Assert.Equal(["n17", "n3"], letters);
        // The stages' rows are filled from what they did there.
        var map = remote.Result.Stages.Single(s => s.Name == "map");
        Assert.Equal(30, map.In);
        Assert.Equal(2, map.Failed);
        Assert.Equal(local.Result.Stages.Single(s => s.Name == "check").In, remote.Result.Stages.Single(s => s.Name == "check").In);
        Assert.True(remote.Result.Sections.ContainsKey("loopback"));
    }
}
