using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>A source: enumerates its items into the graph until done or stopped; each becomes a ledger entry.</summary>
internal sealed class SourceNode(RunScope run, GraphNode node, int index, StageStats stats, IStageLifecycle stage, StageContext ctx)
    : NodeRuntime(run, node, index, stats, stage, ctx)
{
    protected override async Task ProduceAsync()
    {
        var sourceContext = new SourceContext(Context, Run.Stopping, Unproducible, Run.Announce);
        var shortcut = Context.CacheDisabled ? null : ResultCacheShortcut.After(this);
        await foreach (var item in Invoker.Read(sourceContext).ConfigureAwait(false))
        {
            var root = Run.Ledger.Create(item.Key, Name, Run.IsTraced);
            var e = new Envelope(root, item.Key, item, null);
            Stats.Seen(); Stats.Started(); Stats.Succeeded();
            if (shortcut is not null && await shortcut.TryAsync(e, item).ConfigureAwait(false)) continue;
            await EmitAsync(e).ConfigureAwait(false);
        }
    }

    // An item that exists but cannot be produced (a folder that cannot be listed) is counted as failed.
    private void Unproducible(string key, string reason)
    {
        var root = Run.Ledger.Create(key, Name, Run.IsTraced);
        Run.Ledger.RecordFailure(root, new Failure(Name, key, reason, 1));
        Stats.FailedOne();
        Run.Ledger.Consumed(root);
    }

    protected override Task HandleAsync(Envelope e) => Task.CompletedTask;
}
