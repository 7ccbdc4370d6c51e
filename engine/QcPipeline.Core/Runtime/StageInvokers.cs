using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// Calls a stage of any shape without the runtime knowing its item types: one small generic class per
/// shape, made by the stage's descriptor (whose registration names the types), casts at the boundary.
/// </summary>
internal abstract class StageInvoker
{
    public virtual IAsyncEnumerable<IItem> Read(SourceContext ctx) => throw Wrong();
    public virtual ValueTask<IItem> Transform(IItem input, ItemContext ctx) => throw Wrong();
    public virtual ValueTask<IItem> Pooled(IItem input, IDisposable resource, ItemContext ctx) => throw Wrong();
    public virtual IReadOnlyList<IItem> Expand(IItem input, ItemContext ctx) => throw Wrong();
    public virtual IItem Combine(string parentKey, IReadOnlyList<Envelope> items, ItemContext ctx) => throw Wrong();
    public virtual ValueTask Consume(Envelope e, ItemContext ctx) => throw Wrong();
    public virtual ValueTask Flush(CancellationToken ct) => ValueTask.CompletedTask;

    // Pooled stages only.
    public virtual ValueTask<IDisposable> Open(int worker, CancellationToken ct) => throw Wrong();
    public virtual bool IsBroken(IDisposable resource, Exception error) => false;
    public virtual int PoolTarget(long itemsKnown, bool inputComplete, int max) => max;
    public virtual TimeSpan KeepAliveInterval => TimeSpan.Zero;
    public virtual void KeepAlive(IDisposable resource) { }
    public virtual void Abort(IDisposable resource) { }

    internal static Outcome<T> ToOutcome<T>(Envelope e) =>
        e.IsOk ? new(e.Key, e.Value is T v ? v : default, null, null, e.Value)
               : new(e.Key, default, e.Failure, e.SkipReason, e.Value);

    private InvalidOperationException Wrong() => new($"{GetType().Name}: not this stage's shape");
}

internal sealed class SourceInvoker<TOut, TOpt>(SourceStage<TOut, TOpt> stage) : StageInvoker
    where TOut : IItem where TOpt : class, new()
{
    public override async IAsyncEnumerable<IItem> Read(SourceContext ctx)
    {
        await foreach (var item in stage.ReadAsync(ctx).WithCancellation(ctx.CancellationToken).ConfigureAwait(false))
            yield return item;
    }
}

internal sealed class TransformInvoker<TIn, TOut, TOpt>(TransformStage<TIn, TOut, TOpt> stage) : StageInvoker
    where TIn : IItem where TOut : IItem where TOpt : class, new()
{
    public override ValueTask<IItem> Transform(IItem input, ItemContext ctx)
    {
        var pending = stage.ProcessAsync((TIn)input, ctx);
        return pending.IsCompletedSuccessfully ? new ValueTask<IItem>(pending.Result) : Await(pending);
    }

    private static async ValueTask<IItem> Await(ValueTask<TOut> pending) => await pending.ConfigureAwait(false);
}

internal sealed class PooledInvoker<TIn, TOut, TOpt, TRes>(PooledTransformStage<TIn, TOut, TOpt, TRes> stage) : StageInvoker
    where TIn : IItem where TOut : IItem where TOpt : class, new() where TRes : class, IDisposable
{
    public override async ValueTask<IItem> Pooled(IItem input, IDisposable resource, ItemContext ctx) =>
        await stage.ProcessAsync((TIn)input, (TRes)resource, ctx).ConfigureAwait(false);

    public override async ValueTask<IDisposable> Open(int worker, CancellationToken ct) => await stage.OpenAsync(worker, ct).ConfigureAwait(false);
    public override bool IsBroken(IDisposable resource, Exception error) => stage.IsBroken((TRes)resource, error);
    public override int PoolTarget(long itemsKnown, bool inputComplete, int max) => stage.PoolTarget(itemsKnown, inputComplete, max);
    public override TimeSpan KeepAliveInterval => stage.KeepAliveInterval;
    public override void KeepAlive(IDisposable resource) => stage.KeepAlive((TRes)resource);
    public override void Abort(IDisposable resource) => stage.Abort((TRes)resource);
}

internal sealed class FanOutInvoker<TIn, TOut, TOpt>(FanOutStage<TIn, TOut, TOpt> stage) : StageInvoker
    where TIn : IItem where TOut : IItem where TOpt : class, new()
{
    public override IReadOnlyList<IItem> Expand(IItem input, ItemContext ctx) =>
        stage.Expand((TIn)input, ctx).Select(c => (IItem)c).ToList();
}

internal sealed class JoinInvoker<TIn, TOut, TOpt>(JoinStage<TIn, TOut, TOpt> stage) : StageInvoker
    where TIn : IItem where TOut : IItem where TOpt : class, new()
{
    public override IItem Combine(string parentKey, IReadOnlyList<Envelope> items, ItemContext ctx) =>
        stage.Combine(new JoinGroup<TIn>(parentKey, items.Select(ToOutcome<TIn>).ToList()), ctx);
}

internal sealed class SinkInvoker<TIn, TOpt>(SinkStage<TIn, TOpt> stage) : StageInvoker
    where TIn : IItem where TOpt : class, new()
{
    public override ValueTask Consume(Envelope e, ItemContext ctx) =>
        stage.ConsumeAsync(ToOutcome<TIn>(e), ctx);

    public override ValueTask Flush(CancellationToken ct) => stage.FlushAsync(ct);
}
