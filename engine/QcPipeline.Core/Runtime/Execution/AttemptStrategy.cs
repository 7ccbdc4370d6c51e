using System.ComponentModel.DataAnnotations;
using Polly;

namespace QcPipeline.Core.Runtime;

/// <summary>The attempts of one item at one stage: how many, and the backoff between them.</summary>
internal sealed class AttemptOptions : ResilienceStrategyOptions
{
    /// <summary>The longest delay Polly (and Task.Delay) accept.</summary>
    public const string MaxDelayText = "1.00:00:00";

    /// <summary>Attempts in all, the first one included.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; init; } = 1;

    /// <summary>Delay before the first retry; it doubles at each further retry.</summary>
    [Range(typeof(TimeSpan), "00:00:00", MaxDelayText)]
    public TimeSpan Backoff { get; init; }

    /// <summary>Longest delay between two attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:00", MaxDelayText)]
    public TimeSpan MaxBackoff { get; init; }

    /// <summary>Each delay is the schedule's value times a random factor in 1 ± this.</summary>
    public const double Jitter = 0.2;

    /// <summary>The delay before attempt <paramref name="next"/> (2 for the first retry).</summary>
    public TimeSpan DelayBefore(int next)
    {
        var scheduled = Backoff.TotalMilliseconds * Math.Pow(2, next - 2);
        var jittered = scheduled * (1 - Jitter + 2 * Jitter * Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(Math.Min(jittered, MaxBackoff.TotalMilliseconds));
    }
}

/// <summary>What the runtime tells the retry strategy about one item (through the ResilienceContext): whether
/// this failure is worth another attempt.</summary>
internal interface IAttemptState
{
    /// <summary>Where the item's state is kept in the context Polly passes along.</summary>
    static readonly ResiliencePropertyKey<IAttemptState> Key = new("qc.attempt");

    /// <summary>True when the stage calls <paramref name="error"/> transient and the run is not stopping.</summary>
    bool ShouldRetry(Exception error);
}

/// <summary>
/// Retries of one item as a Polly strategy: the first attempt runs at once (with no machinery when it
/// succeeds synchronously, the engine's common case), each retry after the backoff. Polly's own retry
/// strategy costs about 100 ns per successful call on these machines, which is as much as the whole
/// engine spends per item per stage, hence this one: the schedule is ours (doubling, ±20%, capped).
/// </summary>
internal sealed class AttemptStrategy(AttemptOptions options) : ResilienceStrategy
{
    protected override ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
    {
        var first = Call(callback, context, state);
        if (options.MaxAttempts == 1 || (first.IsCompletedSuccessfully && first.Result.Exception is null)) return first;
        return RetryAsync(first, callback, context, state);
    }

    private async ValueTask<Outcome<TResult>> RetryAsync<TResult, TState>(ValueTask<Outcome<TResult>> pending,
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
    {
        var outcome = await pending.ConfigureAwait(false);
        if (!context.Properties.TryGetValue(IAttemptState.Key, out var item)) return outcome;
        for (var next = 2; next <= options.MaxAttempts && outcome.Exception is { } error && item.ShouldRetry(error); next++)
        {
            await Task.Delay(options.DelayBefore(next), context.CancellationToken).ConfigureAwait(false);
            outcome = await Call(callback, context, state).ConfigureAwait(false);
        }
        return outcome;
    }

    private static ValueTask<Outcome<TResult>> Call<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
    {
        try { return callback(context, state); }
        catch (Exception e) { return new(Outcome.FromException<TResult>(e)); }
    }
}
