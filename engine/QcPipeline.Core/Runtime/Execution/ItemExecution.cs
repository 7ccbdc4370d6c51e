using System.Diagnostics;
using Polly;
using Outcome = Polly.Outcome;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>One item at a one-to-one stage: its envelope, span, the worker that runs it and its attempt count.
/// A stage that takes one item at a time uses one for every item in turn (see <see cref="Begin"/>).</summary>
internal sealed class Attempt(TransformNode node) : IAttemptState
{
    public readonly TransformNode Node = node;
    public Envelope Envelope = null!;
    public Activity? Span;
    public int Worker;
    public int Count;

    /// <summary>Starts this attempt's record over, for <paramref name="envelope"/>.</summary>
    public Attempt Begin(Envelope envelope, Activity? span)
    {
        Envelope = envelope; Span = span; Worker = 0; Count = 0; First = null;
        return this;
    }

    /// <summary>A first attempt made before the pipeline was entered (see <see cref="ItemExecution"/>), handed to
    /// the pipeline as its first call's outcome.</summary>
    public Task<IItem>? First;

    public bool ShouldRetry(Exception error) => Node.ShouldRetry(error);

    /// <summary>What the stage sees of this attempt.</summary>
    public ItemContext Context(int worker, CancellationToken ct) => new(Node.Context, Envelope.Key, Count, worker, Span, ct);
}

/// <summary>
/// Runs every attempt of one item (the first one included) through the stage's Polly pipeline: the
/// pipeline decides on retries and timeouts, the node makes each attempt. A pipeline with nothing to do
/// is not entered; nor is one that only retries when the first attempt succeeds at once (the engine's
/// common case): that attempt is made first, and the pipeline, entered only if it did not succeed at once,
/// takes its outcome as its first call's (its retry strategy makes the first call at once, so the order of
/// events is the same).
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
        if (policy.Timeout <= TimeSpan.Zero && !ct.IsCancellationRequested)
        {
            a.Count = 1;
            ValueTask<IItem> first;
            try { first = a.Node.AttemptAsync(a, ct); }
            catch (Exception e) { first = ValueTask.FromException<IItem>(e); }
            if (first.IsCompletedSuccessfully) return first;
            a.First = first.AsTask();
        }
        var context = ResilienceContextPool.Shared.Get(ct);
        ValueTask<Polly.Outcome<IItem>> pending;
        try { pending = policy.Pipeline.ExecuteOutcomeAsync(AttemptOnce, context, a); }
        catch { ResilienceContextPool.Shared.Return(context); throw; }
        if (a.First is not null || !pending.IsCompletedSuccessfully) return AwaitAsync(pending, context, a);
        ResilienceContextPool.Shared.Return(context);
        return new ValueTask<IItem>(Unwrap(pending.Result));
    }

    private static async ValueTask<IItem> AwaitAsync(ValueTask<Polly.Outcome<IItem>> pending, ResilienceContext context, Attempt a)
    {
        try
        {
            var outcome = await pending.ConfigureAwait(false);
            // A first attempt the pipeline did not take (it refused to start: the run was given up meanwhile)
            // still ends before the item does; the pipeline's outcome stands.
            if (a.First is { } untaken)
            {
                a.First = null;
                try { await untaken.ConfigureAwait(false); } catch (Exception) { }
            }
            return Unwrap(outcome);
        }
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
        ValueTask<IItem> pending;
        if (a.First is { } first) { a.First = null; pending = new ValueTask<IItem>(first); }
        else
        {
            a.Count++;
            try { pending = a.Node.AttemptAsync(a, context.CancellationToken); }
            catch (Exception e) { return new(Failed(context, a, e)); }
        }
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
