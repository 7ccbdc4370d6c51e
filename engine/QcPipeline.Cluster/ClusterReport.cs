namespace QcPipeline.Cluster;

/// <summary>run.json's cluster section: the run's workers and what each did, and the totals.</summary>
public sealed record ClusterReport(string Url, string Run, IReadOnlyList<string> Stages, int MaxOutstanding, double AckWaitMs, int MaxDeliver,
    IReadOnlyList<WorkerReport> Workers, ClusterTotals Totals)
{
    /// <summary>One line for the console.</summary>
    public string Describe() =>
        $"cluster: {Totals.Workers} worker(s) ran {string.Join(", ", Stages)}: " +
        string.Join(", ", Workers.Where(w => w.Refused is null).Select(w => $"{w.Id} {w.Items}")) +
        $"; {Totals.Redelivered} redelivered, {Totals.Duplicates} duplicate(s) dropped, {Totals.DeadLettered} dead-lettered";
}

/// <summary>One worker's part: items whose result it sent first, of them failed, and of them redelivered to it.</summary>
public sealed record WorkerReport(string Id, string Host, int Capacity, long Items, long Failed, long Redelivered, string? Refused);

/// <summary>The run's totals over its workers.</summary>
public sealed record ClusterTotals(int Workers, long Items, long Failed, long Redelivered, long Duplicates, long DeadLettered);
