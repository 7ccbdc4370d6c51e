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
            parts.Add($"{result.Stages[i].Name} {entries.Min(e => e.StartMs) / 1000:0.00}–{entries.Max(e => e.EndMs) / 1000:0.00} s");
        }
        return string.Join(", ", parts) + $"; run {result.Duration.TotalSeconds:0.00} s";
    }
}
