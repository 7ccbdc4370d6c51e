using System.Collections.Concurrent;

namespace QcPipeline.Cluster;

/// <summary>What each worker did for a run: run.json's cluster.workers.</summary>
internal sealed class WorkerBook
{
    private readonly ConcurrentDictionary<string, WorkerTally> _workers = new(StringComparer.Ordinal);
    private int _lanes;

    public WorkerTally Get(string id, string host) =>
        _workers.GetOrAdd(id, _ => new WorkerTally(id, host, Interlocked.Increment(ref _lanes) - 1));

    public IReadOnlyList<WorkerTally> All => _workers.Values.OrderBy(w => w.Lane).ToList();
}

/// <summary>One worker's counts.</summary>
internal sealed class WorkerTally(string id, string host, int lane)
{
    private long _items, _failed, _redelivered;

    public string Id { get; } = id;
    public string Host { get; } = host;

    /// <summary>Its lane in the report's timeline.</summary>
    public int Lane { get; } = lane;
    public int Capacity { get; set; }

    /// <summary>Why it took no work, if it said so.</summary>
    public string? Refused { get; set; }

    public long Items => Interlocked.Read(ref _items);
    public long Failed => Interlocked.Read(ref _failed);
    public long Redelivered => Interlocked.Read(ref _redelivered);

    /// <summary>One item's result from this worker (the first one for the item: duplicates are not counted).</summary>
    public void Count(bool failed, ulong delivered)
    {
        Interlocked.Increment(ref _items);
        if (failed) Interlocked.Increment(ref _failed);
        if (delivered > 1) Interlocked.Increment(ref _redelivered);
    }
}
