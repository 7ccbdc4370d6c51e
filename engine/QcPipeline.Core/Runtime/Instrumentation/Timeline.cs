namespace QcPipeline.Core.Runtime;

/// <summary>When each item ran on which worker of which stage: the run report's timeline.
/// <see cref="Outcome"/> is a <see cref="StepOutcome"/>.</summary>
public readonly record struct TimelineEntry(int Stage, int Worker, long RootId, string Key, double StartMs, double EndMs, byte Outcome);

/// <summary>
/// The timeline, bounded: at most <c>limit</c> entries however long the run. When it is full it keeps a
/// sample of whole items (every stage of a kept item) spread over the whole run: it halves the share of
/// items it keeps and drops those no longer in it. Memory stays flat whether a run has 10k or 1M items.
/// </summary>
internal sealed class Timeline(int limit)
{
    private readonly object _gate = new();
    private readonly List<TimelineEntry> _entries = [];
    private int _level; // items are kept when the lowest _level bits of their hash are zero: 1 in 2^level

    /// <summary>False when outputs.timeline_limit is 0 (nothing is kept, so nothing need be measured).</summary>
    public bool Enabled => limit > 0;

    public void Add(in TimelineEntry e)
    {
        if (limit <= 0 || !Keeps(e.RootId, Volatile.Read(ref _level))) return;
        lock (_gate)
        {
            if (!Keeps(e.RootId, _level)) return;
            _entries.Add(e);
            while (_entries.Count > limit)
            {
                Volatile.Write(ref _level, _level + 1);
                var level = _level;
                _entries.RemoveAll(x => !Keeps(x.RootId, level));
            }
        }
    }

    private static bool Keeps(long rootId, int level) =>
        level == 0 || ((Sampling.Mix(rootId) >> 32) & ((1UL << level) - 1)) == 0;

    /// <summary>The kept entries, in the order they were recorded.</summary>
    public IReadOnlyList<TimelineEntry> Entries { get { lock (_gate) return [.. _entries]; } }

    /// <summary>True when some items' timings were left out (the run had more than the limit).</summary>
    public bool Sampled => Volatile.Read(ref _level) > 0;
}
