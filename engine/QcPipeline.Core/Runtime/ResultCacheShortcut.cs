using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// The result-cache short-cut: when a caching stage (<see cref="IResultCache"/>) on the plain chain of
/// one-to-one stages after a source remembers a source item's result, the item goes straight on from that
/// stage, skipping the stages before it (a warm run fetches nothing). Fresh results are remembered after
/// the caching stage succeeds.
/// </summary>
internal sealed class ResultCacheShortcut
{
    private readonly List<(TransformNode Node, IResultCache Cache)> _caches; // furthest first

    private ResultCacheShortcut(List<(TransformNode, IResultCache)> caches) => _caches = caches;

    /// <summary>The short-cut for the chain after <paramref name="source"/>, or null when no stage on it caches.</summary>
    public static ResultCacheShortcut? After(NodeRuntime source) =>
        source.Targets is [{ Inputs: 1 } only] ? Starting(only) : null;

    /// <summary>The short-cut for the chain that starts at <paramref name="first"/> (where items are handed in).</summary>
    public static ResultCacheShortcut? Starting(NodeRuntime first)
    {
        var found = new List<(TransformNode, IResultCache)>();
        NodeRuntime? node = first;
        // Past the first stage, only a stage with no other input is on the plain chain.
        while (node is TransformNode t && (t == first || t.Inputs == 1))
        {
            if (t.Stage is IResultCache c) found.Insert(0, (t, c));
            node = t.Targets.Length == 1 ? t.Targets[0] : null;
        }
        return found.Count == 0 ? null : new ResultCacheShortcut(found);
    }

    /// <summary>Sends the item on from the furthest stage that remembers its result; false when none does
    /// (the item is then marked so that the caching stages remember their fresh result).</summary>
    public async ValueTask<bool> TryAsync(Envelope e, IItem item)
    {
        foreach (var (node, cache) in _caches)
        {
            if (!cache.TryGet(item, out var result)) continue;
            await node.EmitCachedAsync(e, result).ConfigureAwait(false);
            return true;
        }
        e.Root.SourceItem = item;
        return false;
    }

    /// <summary>After a caching stage succeeded on an item that came from a source with the short-cut.</summary>
    public static void Remember(Envelope e, IStageLifecycle stage, IItem result)
    {
        if (e.Root.SourceItem is { } source && stage is IResultCache cache) cache.Put(source, result);
    }
}
