using System.Diagnostics;
using Polly;
using Outcome = Polly.Outcome;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>One item at a one-to-one stage: its envelope, span, the worker that runs it and its attempt count.</summary>
internal sealed class Attempt(TransformNode node, Envelope envelope, Activity? span) : IAttemptState
{
    public readonly TransformNode Node = node;
    public readonly Envelope Envelope = envelope;
    public readonly Activity? Span = span;
    public int Worker;
    public int Count;

    public bool ShouldRetry(Exception error) => Node.ShouldRetry(error);

    /// <summary>What the stage sees of this attempt.</summary>
    public ItemContext Context(int worker, CancellationToken ct) => new(Node.Context, Envelope.Key, Count, worker, Span, ct);
}

/// <summary>
/// Runs every attempt of one item (the first one included) through the stage's Polly pipeline: the
/// pipeline decides on retries and timeouts, the node makes each attempt. A pipeline with nothing to do
/// is not entered.
/// </summary>
internal static class ItemExecution
{
    public static ValueTask<IItem> RunAsync(StagePolicy policy, Attempt a, CancellationToken ct)
    {
        if (policy.IsEmpty)
        {
            a.Count = 1;
            return a.Node.AttemptAsync(a, ct);
        }
        var context = ResilienceContextPool.Shared.Get(ct);
        ValueTask<Polly.Outcome<IItem>> pending;
        try { pending = policy.Pipeline.ExecuteOutcomeAsync(AttemptOnce, context, a); }
        catch { ResilienceContextPool.Shared.Return(context); throw; }
        if (!pending.IsCompletedSuccessfully) return AwaitAsync(pending, context);
        ResilienceContextPool.Shared.Return(context);
        return new ValueTask<IItem>(Unwrap(pending.Result));
    }

    private static async ValueTask<IItem> AwaitAsync(ValueTask<Polly.Outcome<IItem>> pending, ResilienceContext context)
    {
        try { return Unwrap(await pending.ConfigureAwait(false)); }
        finally { ResilienceContextPool.Shared.Return(context); }
    }

    private static IItem Unwrap(Polly.Outcome<IItem> outcome)
    {
        outcome.ThrowIfException();
        return outcome.Result!;
    }

    // One attempt, as Polly calls it: its failure is an outcome, not a throw (cheaper, and what strategies inspect).
    // A failed attempt leaves the item in the context, where the retry strategy asks it whether to go on; a
    // successful one (the common case) costs no property.
    private static ValueTask<Polly.Outcome<IItem>> AttemptOnce(ResilienceContext context, Attempt a)
    {
        a.Count++;
        ValueTask<IItem> pending;
        try { pending = a.Node.AttemptAsync(a, context.CancellationToken); }
        catch (Exception e) { return new(Failed(context, a, e)); }
        return pending.IsCompletedSuccessfully ? new(Outcome.FromResult(pending.Result)) : AwaitAttemptAsync(pending, context, a);
    }

    private static async ValueTask<Polly.Outcome<IItem>> AwaitAttemptAsync(ValueTask<IItem> pending, ResilienceContext context, Attempt a)
    {
        try { return Outcome.FromResult(await pending.ConfigureAwait(false)); }
        catch (Exception e) { return Failed(context, a, e); }
    }

    private static Polly.Outcome<IItem> Failed(ResilienceContext context, Attempt a, Exception e)
    {
        context.Properties.Set(IAttemptState.Key, a);
        return Outcome.FromException<IItem>(e);
    }
}
