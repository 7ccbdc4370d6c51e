using System.Diagnostics;
using System.Threading.Channels;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>How one fed item ended, with what the sinks recorded of it (see <see cref="ItemContext.Record"/>).</summary>
public sealed record FedOutcome(ItemState State, Failure? Failure, string? SkipReason, IReadOnlyList<SinkRecord> Records)
{
    /// <summary>The first record of the sink of this name, or null.</summary>
    public string? RecordOf(string sink) => Records.FirstOrDefault(r => r.Sink == sink)?.Json;
}

/// <summary>What one sink wrote for one item (a results line), as JSON text.</summary>
public sealed record SinkRecord(string Sink, string Json);

/// <summary>
/// A source fed from outside its run, one item at a time, by callers that each await their item's end (an
/// endpoint of a service answering with the verdict, say). A run takes it in place of one of its job's source stages
/// (<see cref="PipelineRunner.Feed"/>): the run then lasts until <see cref="Complete"/> (or a stop), and each
/// item goes through the same graph, ledger, stats and traces as a listed one. The feed is bounded: at most
/// <see cref="Capacity"/> items are pending (submitted, not yet ended) at once; beyond that <see cref="TrySubmit"/>
/// says no at once, so a busy run is never an unbounded queue.
/// </summary>
public sealed class ItemFeed
{
    private readonly Channel<FedItem> _queue = Channel.CreateUnbounded<FedItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Type _itemType;
    private int _pending;

    internal ItemFeed(string source, Type itemType, int capacity)
    {
        Source = source; _itemType = itemType; Capacity = capacity;
    }

    /// <summary>The source stage the feed stands in for.</summary>
    public string Source { get; }

    /// <summary>Items pending at most.</summary>
    public int Capacity { get; }

    /// <summary>Items submitted that have not ended yet.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>True once the feed takes no more items (completed, or its run stopped).</summary>
    public bool Closed { get; private set; }

    /// <summary>Puts an item into the run; the task ends with the item (never faults). Null when <see cref="Capacity"/>
    /// items are pending already: the caller should come back later. <paramref name="parent"/> is the caller's span:
    /// the item's spans go beneath it (its own trace) instead of under the job's.</summary>
    public Task<FedOutcome>? TrySubmit(IItem item, ActivityContext parent = default)
    {
        if (!_itemType.IsInstanceOfType(item))
            throw new ArgumentException($"source '{Source}' feeds {_itemType.Name} items, not {item.GetType().Name}", nameof(item));
        if (Interlocked.Increment(ref _pending) > Capacity)
        {
            Interlocked.Decrement(ref _pending);
            return null;
        }
        var fed = new FedItem(this, item, parent);
        if (!_queue.Writer.TryWrite(fed)) fed.End(Stopped);
        return fed.Outcome;
    }

    /// <summary>No more items: the run ends once those already submitted have ended.</summary>
    public void Complete() { Closed = true; _queue.Writer.TryComplete(); }

    internal ChannelReader<FedItem> Reader => _queue.Reader;

    /// <summary>Closes the feed and hands back what was submitted but not yet read.</summary>
    internal List<FedItem> Close()
    {
        Complete();
        var unread = new List<FedItem>();
        while (_queue.Reader.TryRead(out var fed)) unread.Add(fed);
        return unread;
    }

    internal void Ended() => Interlocked.Decrement(ref _pending);

    private static readonly FedOutcome Stopped = new(ItemState.Cancelled, null, "the run is not taking items (it is stopping)", []);
}

/// <summary>One submitted item and its caller's wait; the ledger ends it (see RootItem.Waiter).</summary>
internal sealed class FedItem(ItemFeed feed, IItem item, ActivityContext parent)
{
    private readonly TaskCompletionSource<FedOutcome> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<SinkRecord>? _records;

    public IItem Item { get; } = item;
    public ActivityContext Parent { get; } = parent;
    public Task<FedOutcome> Outcome => _done.Task;

    public void Record(string sink, string json)
    {
        lock (_done) (_records ??= []).Add(new SinkRecord(sink, json));
    }

    public void End(RootItem root)
    {
        IReadOnlyList<SinkRecord> records;
        lock (_done) records = _records ?? (IReadOnlyList<SinkRecord>)[];
        End(new FedOutcome(root.State, root.Failure, root.SkipReason, records));
    }

    public void End(FedOutcome outcome)
    {
        if (_done.TrySetResult(outcome)) feed.Ended();
    }
}
