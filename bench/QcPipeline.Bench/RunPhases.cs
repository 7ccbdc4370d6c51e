using QcPipeline.Core.Runtime;

namespace QcPipeline.Bench;

/// <summary>Where a run's wall time went, from its timeline: when each stage first started an item and last
/// finished one (the fetch stage's first start is after connecting and listing the first folder).</summary>
public static class RunPhases
{
    public static string Describe(RunResult result)
    {
        var parts = new List<string>();
        for (var i = 0; i < result.Stages.Count; i++)
        {
            var entries = result.Timeline.Where(t => t.Stage == i).ToList();
            if (entries.Count == 0) continue;
            double first = entries.Min(e => e.StartMs), last = entries.Max(e => e.EndMs), busy = entries.Sum(e => e.EndMs - e.StartMs);
            parts.Add($"{result.Stages[i].Name} {first / 1000:0.00}–{last / 1000:0.00} s ({busy / Math.Max(1, last - first):0} in flight, {busy / entries.Count:0} ms each)");
        }
        return string.Join(", ", parts) + $"; run {result.Duration.TotalSeconds:0.00} s";
    }
}
