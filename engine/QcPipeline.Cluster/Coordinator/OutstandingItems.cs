using System.Collections.Concurrent;
using QcPipeline.Core.Runtime;

namespace QcPipeline.Cluster;

/// <summary>One item sent to the workers and not yet back: where it is in the work queue and who took it.</summary>
internal sealed class Outstanding(SegmentRequest request)
{
    public SegmentRequest Request { get; } = request;
    public TaskCompletionSource<SegmentOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Its sequence in the work stream (0 until published).</summary>
    public ulong Sequence { get; set; }
    public long PublishedTicks { get; set; }

    /// <summary>"w1@host (delivery 1)", in the order workers took it.</summary>
    public List<string> Takers { get; } = [];
}

/// <summary>
/// The items out with workers, by id and by stream sequence. Whatever comes back first ends an item; anything
/// after that for the same item (a redelivered copy finished by a second worker) is a duplicate and is dropped:
/// every item ends exactly once.
/// </summary>
internal sealed class OutstandingItems
{
    private readonly ConcurrentDictionary<long, Outstanding> _byId = new();
    private readonly ConcurrentDictionary<ulong, long> _bySequence = new();
    private long _duplicates;

    public int Count => _byId.Count;
    public long Duplicates => Interlocked.Read(ref _duplicates);
    public IEnumerable<Outstanding> All => _byId.Values;

    public Outstanding Add(SegmentRequest request) => _byId[request.Id] = new Outstanding(request);

    public void Published(Outstanding o, ulong sequence)
    {
        o.Sequence = sequence;
        o.PublishedTicks = Environment.TickCount64;
        _bySequence[sequence] = o.Request.Id;
    }

    public Outstanding? Get(long id) => _byId.GetValueOrDefault(id);

    public Outstanding? BySequence(ulong sequence) => _bySequence.TryGetValue(sequence, out var id) ? Get(id) : null;

    /// <summary>Ends the item with <paramref name="outcome"/>; false (and counted) when it had ended already.</summary>
    public bool End(long id, SegmentOutcome outcome)
    {
        if (!_byId.TryRemove(id, out var o))
        {
            Interlocked.Increment(ref _duplicates);
            return false;
        }
        _bySequence.TryRemove(o.Sequence, out _);
        o.Done.TrySetResult(outcome);
        return true;
    }

    /// <summary>Forgets an item that was never sent.</summary>
    public void Drop(long id) => _byId.TryRemove(id, out _);
}
