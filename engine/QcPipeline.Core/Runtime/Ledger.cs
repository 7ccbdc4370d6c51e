using System.Collections.Concurrent;
using System.Diagnostics;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>How a source item ended.</summary>
public enum ItemState
{
    /// <summary>Still in the graph.</summary>
    Pending,
    /// <summary>Reached the end of every branch it took.</summary>
    Processed,
    /// <summary>A stage failed on it (the first failure is its reason).</summary>
    Failed,
    /// <summary>A stage skipped it on purpose.</summary>
    Skipped,
    /// <summary>The run stopped or gave up before it was done.</summary>
    Cancelled,
}

/// <summary>
/// One item a source produced, followed to its end. Fan-out, broadcast and joins change how many
/// envelopes carry it; when the last one is consumed the item is final: processed, failed (first
/// reason wins), skipped, or — if the run stopped first — cancelled.
/// </summary>
public sealed class RootItem
{
    internal RootItem(long id, string key, string source, bool traced)
    {
        Id = id; Key = key; Source = source; Traced = traced;
    }

    internal int Outstanding = 1;

    /// <summary>The run's number for the item (1, 2, …, in the order sources produced them).</summary>
    public long Id { get; }

    /// <summary>The item's key as its source produced it.</summary>
    public string Key { get; }

    /// <summary>The stage that produced it.</summary>
    public string Source { get; }

    /// <summary>How it ended (Pending while it is in the graph).</summary>
    public ItemState State { get; internal set; }

    /// <summary>Why it failed (the first failure wins).</summary>
    public Failure? Failure { get; internal set; }

    /// <summary>Why it was skipped.</summary>
    public string? SkipReason { get; internal set; }

    /// <summary>The item as its source produced it (for result caches); dropped when the item ends.</summary>
    internal IItem? SourceItem { get; set; }

    /// <summary>Whether this item's spans are recorded as they happen (see telemetry.sample_ratio).</summary>
    public bool Traced { get; }

    /// <summary>Spans of an untraced item, kept until it ends: if it fails they are emitted after all.</summary>
    internal List<DeferredSpan>? Deferred { get; set; }

    /// <summary>The span the item's own spans go beneath outside fan-outs (a fed item's caller, or the span an item
    /// sent from another machine's run was sent from); default: the job's.</summary>
    internal ActivityContext Parent { get; set; }

    /// <summary>The caller awaiting this item's end (a fed item), or null.</summary>
    internal FedItem? Waiter { get; init; }

    /// <summary>For an item run on behalf of another machine: what each stage did with it (sent back with its result).</summary>
    internal List<SegmentStep>? Steps { get; set; }
}

/// <summary>The accounting of a run: every source item ends in exactly one state, and the counts add up.</summary>
internal sealed class Ledger
{
    private readonly ConcurrentDictionary<long, RootItem> _open = new();
    private readonly ConcurrentQueue<ItemReport> _unsuccessful = new();
    private long _nextId;
    private long _produced, _processed, _failed, _skipped, _cancelled;

    public event Action<RootItem>? Finished;

    public long Produced => Interlocked.Read(ref _produced);
    public long Processed => Interlocked.Read(ref _processed);
    public long Failed => Interlocked.Read(ref _failed);
    public long Skipped => Interlocked.Read(ref _skipped);
    public long Cancelled => Interlocked.Read(ref _cancelled);
    public long Open => _open.Count;

    /// <summary>Failed, skipped and cancelled items, in the order they ended: one small record each (the item
    /// itself is not kept once it ends, so a long run's memory does not grow with its items).</summary>
    public IEnumerable<ItemReport> Unsuccessful => _unsuccessful;

    public RootItem Create(string key, string source, Func<long, bool> traced, FedItem? waiter = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var root = new RootItem(id, key, source, traced(id)) { Waiter = waiter, Parent = waiter?.Parent ?? default };
        _open[id] = root;
        Interlocked.Increment(ref _produced);
        return root;
    }

    /// <summary>More (or fewer) envelopes now carry this item: fan-out adds, joins remove.</summary>
    public void Add(RootItem root, int delta) => Interlocked.Add(ref root.Outstanding, delta);

    public void RecordFailure(RootItem root, Failure failure)
    {
        lock (root) root.Failure ??= failure;
    }

    public void RecordSkip(RootItem root, string reason)
    {
        lock (root) root.SkipReason ??= reason;
    }

    /// <summary>One envelope of this item has reached its end (consumed by a sink, or dropped).</summary>
    public void Consumed(RootItem root, bool cancelled = false)
    {
        if (cancelled) lock (root) root.State = ItemState.Cancelled;
        if (Interlocked.Decrement(ref root.Outstanding) == 0) Finish(root);
    }

    /// <summary>Ends every item still open: after a stop they were cancelled; otherwise the engine lost them.</summary>
    public void CloseOpen(bool stopped)
    {
        foreach (var root in _open.Values.ToList())
        {
            if (stopped) lock (root) root.State = ItemState.Cancelled;
            else RecordFailure(root, new Failure("engine", root.Key, "the item did not reach the end of the graph (engine error)", 0));
            Finish(root);
        }
    }

    private void Finish(RootItem root)
    {
        if (!_open.TryRemove(root.Id, out _)) return;
        root.SourceItem = null;
        lock (root)
        {
            root.State = root.Failure is not null ? ItemState.Failed
                : root.State == ItemState.Cancelled ? ItemState.Cancelled
                : root.SkipReason is not null ? ItemState.Skipped
                : ItemState.Processed;
        }
        switch (root.State)
        {
            case ItemState.Processed: Interlocked.Increment(ref _processed); break;
            case ItemState.Failed: Interlocked.Increment(ref _failed); _unsuccessful.Enqueue(Report(root)); break;
            case ItemState.Skipped: Interlocked.Increment(ref _skipped); _unsuccessful.Enqueue(Report(root)); break;
            default: Interlocked.Increment(ref _cancelled); _unsuccessful.Enqueue(Report(root)); break;
        }
        Finished?.Invoke(root);
        root.Waiter?.End(root);
    }

    private static readonly string[] StateNames = Enum.GetNames<ItemState>().Select(n => n.ToLowerInvariant()).ToArray();

    /// <summary>The state as run.json and the report write it ("failed").</summary>
    public static string Name(ItemState state) => StateNames[(int)state];

    private static ItemReport Report(RootItem r) =>
        new(r.Key, Name(r.State), r.Failure?.Stage, r.Failure?.Reason ?? r.SkipReason, r.Failure?.Attempts ?? 0);
}
