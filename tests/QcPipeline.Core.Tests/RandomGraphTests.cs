using System.Text;
using QcPipeline.Core.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace QcPipeline.Core.Tests;

/// <summary>
/// The accounting invariant on random graphs with randomly injected failures, skips, transient errors,
/// fan-in, fan-out/join and broadcast. Failures are chosen by a hash of stage seed and item key, so the
/// test can predict exactly which source items end failed, skipped or processed — and checks that too.
/// </summary>
public class RandomGraphTests(ITestOutputHelper output)
{
    private abstract record Segment;
    private sealed record MapSeg(string Name, int Seed, double Fail, double Skip, double Flaky, int Attempts) : Segment;
    private sealed record SplitSeg(string Name, int Children, bool Vary, List<MapSeg> Inner) : Segment;
    private sealed record DiamondSeg(MapSeg Left, MapSeg Right, MapSeg Merge) : Segment;

    private sealed class Model
    {
        public required List<(string Name, string Prefix, int Count)> Sources;
        public required List<Segment> Segments;
        public required int Sinks;
        public string Yaml = "";
    }

    private enum Result { Ok, Failed, Skipped }

    private static Result Apply(MapSeg m, string key)
    {
        if (Chance.Of(m.Seed, key) < m.Fail) return Result.Failed;
        if (Chance.Of(m.Seed + 1, key) < m.Skip) return Result.Skipped;
        if (Chance.Of(m.Seed + 2, key) < m.Flaky && m.Attempts < 2) return Result.Failed; // transient, no retry left
        return Result.Ok;
    }

    /// <summary>What happens to one source item: every result along every path it takes.</summary>
    private static void Walk(Model model, int index, string key, long value, List<Result> seen)
    {
        if (index == model.Segments.Count) return;
        switch (model.Segments[index])
        {
            case MapSeg m:
                var r = Apply(m, key);
                if (r != Result.Ok) { seen.Add(r); return; }
                Walk(model, index + 1, key, value, seen);
                break;
            case SplitSeg s:
                var children = s.Vary ? (int)(value % (s.Children + 1)) : s.Children;
                if (children == 0) { seen.Add(Result.Skipped); return; }
                for (var i = 0; i < children; i++)
                {
                    var childKey = $"{key}#{i}";
                    foreach (var inner in s.Inner)
                    {
                        var c = Apply(inner, childKey);
                        if (c != Result.Ok) { seen.Add(c); break; }
                    }
                }
                Walk(model, index + 1, key, children, seen); // the join's result carries the parent key and the child count
                break;
            case DiamondSeg d:
                foreach (var branch in new[] { d.Left, d.Right })
                {
                    var b = Apply(branch, key);
                    if (b != Result.Ok) { seen.Add(b); continue; }
                    var m2 = Apply(d.Merge, key);
                    if (m2 != Result.Ok) { seen.Add(m2); continue; }
                    Walk(model, index + 1, key, value, seen);
                }
                break;
        }
    }

    private static Model Generate(Random rng, string tag)
    {
        var stageNo = 0;
        // Ratios with three decimals, as written into the YAML.
        double Ratio(double max) => Math.Round(rng.NextDouble() * max, 3);
        MapSeg NewMap() => new($"m{stageNo++}", rng.Next(1000) * 4, Ratio(0.15), Ratio(0.1), Ratio(0.2), rng.Next(1, 4));
        var sources = Enumerable.Range(0, rng.Next(1, 3)).Select(i => (Name: $"src{i}", Prefix: $"{(char)('a' + i)}", Count: rng.Next(30, 250))).ToList();
        var segments = new List<Segment> { NewMap() };
        for (var n = rng.Next(1, 5); n > 0; n--)
        {
            segments.Add(rng.Next(3) switch
            {
                0 => NewMap(),
                1 => new SplitSeg($"split{stageNo++}", rng.Next(1, 5), rng.Next(2) == 0,
                    Enumerable.Range(0, rng.Next(1, 3)).Select(_ => NewMap()).ToList()),
                _ => new DiamondSeg(NewMap(), NewMap(), NewMap()),
            });
        }
        var model = new Model { Sources = sources, Segments = segments, Sinks = rng.Next(1, 3) };

        var y = new StringBuilder($"job: random\nerror_budget: 100%\nstages:\n");
        string Bounds() => $"workers: {rng.Next(1, 5)}, capacity: {(rng.Next(2) == 0 ? 0 : rng.Next(1, 6))}";
        string Map(MapSeg m, string from) =>
            $"  {m.Name}: {{ type: test.map, tag: {tag}, {Bounds()}, seed: {m.Seed}, fail_ratio: {m.Fail:F3}, skip_ratio: {m.Skip:F3}, " +
            $"flaky_ratio: {m.Flaky:F3}, retry: {{ attempts: {m.Attempts}, backoff: 1ms }}{from} }}\n";
        foreach (var (name, prefix, count) in sources)
            y.Append($"  {name}: {{ type: test.numbers, tag: {tag}, prefix: {prefix}, count: {count} }}\n");
        var last = "";
        for (var i = 0; i < segments.Count; i++)
        {
            var from = i == 0 ? $", from: [{string.Join(", ", sources.Select(s => s.Name))}]" : "";
            switch (segments[i])
            {
                case MapSeg m: y.Append(Map(m, from)); last = m.Name; break;
                case SplitSeg s:
                    y.Append($"  {s.Name}: {{ type: test.split, tag: {tag}, children: {s.Children}, vary: {(s.Vary ? "true" : "false")}{from} }}\n");
                    foreach (var inner in s.Inner) y.Append(Map(inner, ""));
                    y.Append($"  join{s.Name}: {{ type: test.join, tag: {tag} }}\n");
                    last = "join" + s.Name;
                    break;
                case DiamondSeg d:
                    y.Append(Map(d.Left, from.Length > 0 ? from : $", from: {last}"));
                    y.Append(Map(d.Right, from.Length > 0 ? from : $", from: {last}"));
                    y.Append(Map(d.Merge, $", from: [{d.Left.Name}, {d.Right.Name}]"));
                    last = d.Merge.Name;
                    break;
            }
        }
        for (var s = 0; s < model.Sinks; s++)
            y.Append($"  out{s}: {{ type: test.collect, tag: {tag}, from: {last} }}\n");
        model.Yaml = y.ToString();
        return model;
    }

    [Fact]
    public async Task Random_graphs_with_random_failures_end_every_item_exactly_as_predicted()
    {
        var rng = new Random(20240601);
        for (var g = 0; g < 25; g++)
        {
            var tag = Probe.NewTag();
            var model = Generate(rng, tag);
            RunResult r;
            try { r = await Harness.RunAsync(model.Yaml); }
            catch (Exception) { output.WriteLine(model.Yaml); throw; }

            var expected = new Dictionary<string, Result>();
            foreach (var (_, prefix, count) in model.Sources)
                for (var i = 0; i < count; i++)
                {
                    var seen = new List<Result>();
                    Walk(model, 0, $"{prefix}{i}", i, seen);
                    expected[$"{prefix}{i}"] = seen.Contains(Result.Failed) ? Result.Failed : seen.Contains(Result.Skipped) ? Result.Skipped : Result.Ok;
                }
            var because = $"graph {g}:\n{model.Yaml}";
            var wrong = expected.Where(e => (r.Unsuccessful.FirstOrDefault(u => u.Item == e.Key)?.State ?? "ok") != e.Value switch
                { Result.Failed => "failed", Result.Skipped => "skipped", _ => "ok" }).Take(5).ToList();
            if (wrong.Count > 0)
            {
                output.WriteLine(because);
                foreach (var (k, v) in wrong)
                {
                    var u = r.Unsuccessful.FirstOrDefault(x => x.Item == k);
                    output.WriteLine($"{k}: expected {v}, got {u?.State ?? "ok"} {u?.Stage} {u?.Reason} {u?.Attempts}");
                    foreach (var o in Probe.Of(tag).Sunk.Where(o => o.Key == k)) output.WriteLine($"  sunk {o.Key} {o.Value} {o.Failure} {o.SkipReason}");
                    foreach (var (stage, list) in Probe.Of(tag).Attempts.Where(a => a.Key.Split('/')[1].Split('#')[0] == k))
                        output.WriteLine($"  attempts {stage} {string.Join(",", list.Select(x => x.Attempt))}");
                }
            }
            Assert.True(r.CountsAddUp, because);
            Assert.True(r.Outcome == RunOutcome.Succeeded, because + r.Error);
            Assert.Equal(0, r.Cancelled);
            Assert.Equal(expected.Count, r.Produced);
            Assert.Equal(expected.Where(e => e.Value == Result.Failed).Select(e => e.Key).Order(),
                r.Unsuccessful.Where(u => u.State == "failed").Select(u => u.Item).Order());
            Assert.Equal(expected.Where(e => e.Value == Result.Skipped).Select(e => e.Key).Order(),
                r.Unsuccessful.Where(u => u.State == "skipped").Select(u => u.Item).Order());
            Assert.Equal(expected.Count(e => e.Value == Result.Ok), r.Processed);
            // Every envelope reaches every sink: broadcasts (diamonds) double them, joins merge children back.
            var diamonds = model.Segments.Count(s => s is DiamondSeg);
            Assert.Equal(expected.Count * (1 << diamonds) * model.Sinks, Probe.Of(tag).Sunk.Count);
        }
    }

    [Fact]
    public async Task Random_graphs_cancelled_at_random_moments_still_account_for_every_item()
    {
        var rng = new Random(777);
        for (var g = 0; g < 12; g++)
        {
            var tag = Probe.NewTag();
            var model = Generate(rng, tag);
            var yaml = model.Yaml.Replace("error_budget: 100%", "error_budget: 100%\nshutdown_timeout: 1s")
                .Replace("type: test.numbers,", "type: test.numbers, interval: 1ms, forever: true,");
            var p = Probe.Of(tag);
            var stopAt = rng.Next(1, 60);
            using var cts = FlowTests.CancelWhen(() => Interlocked.Read(ref p.Consumed) >= stopAt);
            var r = await Harness.RunAsync(yaml, cts.Token);
            Assert.True(r.CountsAddUp, $"graph {g}: {r.Produced} != {r.Processed}+{r.Failed}+{r.Skipped}+{r.Cancelled}\n{yaml}");
            Assert.Equal(RunOutcome.Cancelled, r.Outcome);
            Assert.Equal(r.Failed + r.Skipped + r.Cancelled, r.Unsuccessful.Count);
        }
    }
}
