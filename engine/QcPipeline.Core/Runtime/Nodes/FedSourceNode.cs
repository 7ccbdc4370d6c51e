using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>A source stage whose items come from an <see cref="ItemFeed"/> instead of the stage (which is never
/// started): each submitted item becomes a ledger entry as a listed one would, until the feed completes or the run
/// stops. Items submitted but not read by then are counted, as cancelled.</summary>
internal sealed class FedSourceNode(RunScope run, GraphNode node, int index, StageStats stats, IStageLifecycle stage, StageContext ctx, ItemFeed feed)
    : NodeRuntime(run, node, index, stats, stage, ctx)
{
    // The stage itself neither starts nor stops: what it would list (a folder) need not even exist.
    public override Task StartAsync(CancellationToken ct) => Task.CompletedTask;
    public override Task StopAsync() => Task.CompletedTask;

    protected override async Task ProduceAsync()
    {
        try
        {
            var reader = feed.Reader;
            while (await reader.WaitToReadAsync(Run.Stopping).ConfigureAwait(false))
                while (reader.TryRead(out var fed))
                {
                    var root = Run.Ledger.Create(fed.Item.Key, Name, Run.IsTraced, fed);
                    Stats.Seen(); Stats.Started(); Stats.Succeeded();
                    await EmitAsync(new Envelope(root, fed.Item.Key, fed.Item, null)).ConfigureAwait(false);
                }
        }
        finally
        {
            foreach (var fed in feed.Close()) Run.Ledger.Consumed(Run.Ledger.Create(fed.Item.Key, Name, Run.IsTraced, fed), cancelled: true);
        }
    }

    protected override Task HandleAsync(Envelope e) => Task.CompletedTask;
}
