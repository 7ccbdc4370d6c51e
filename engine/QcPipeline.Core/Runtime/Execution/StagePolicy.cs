using System.ComponentModel.DataAnnotations;
using System.Runtime.ExceptionServices;
using Polly;
using Polly.Timeout;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// How a one-to-one stage executes each item: its attempts (with backoff) and a timeout per attempt, as one
/// Polly pipeline built when the job is compiled, so a setting Polly refuses is a located diagnostic of
/// `validate`, not a crash of `run`. The runtime runs every attempt of every item through it; a source runs
/// its own operations through it (see <see cref="StageContext.ExecuteAsync{T}"/>).
/// </summary>
public sealed class StagePolicy
{
    private StagePolicy(ResiliencePipeline pipeline, int attempts, TimeSpan timeout)
    {
        Pipeline = pipeline; Attempts = attempts; Timeout = timeout;
    }

    /// <summary>The policy of a stage that neither retries nor times out.</summary>
    public static StagePolicy None { get; } = new(ResiliencePipeline.Empty, 1, TimeSpan.Zero);

    /// <summary>Attempts per item, the first one included.</summary>
    public int Attempts { get; }

    /// <summary>The longest one attempt may take (zero: no limit).</summary>
    public TimeSpan Timeout { get; }

    internal ResiliencePipeline Pipeline { get; }

    /// <summary>True when the pipeline has nothing to do: the runtime then calls the stage directly.</summary>
    internal bool IsEmpty => Attempts == 1 && Timeout <= TimeSpan.Zero;

    /// <summary>Builds the pipeline of a stage's common options; a setting Polly refuses is reported through
    /// <paramref name="error"/> with the YAML key it came from, and the stage gets no policy.</summary>
    public static StagePolicy? Build(CommonStageOptions common, Action<string, string> error)
    {
        var retry = common.Retry;
        if (retry.Attempts == 1 && common.Timeout <= TimeSpan.Zero) return None;
        try
        {
            var builder = new ResiliencePipelineBuilder();
            // Retries outside, the timeout inside: each attempt gets the whole timeout. Polly validates each
            // strategy's options as it is added.
            if (retry.Attempts > 1)
            {
                var attempts = new AttemptOptions { MaxAttempts = retry.Attempts, Backoff = retry.Backoff, MaxBackoff = retry.MaxBackoff };
                builder.AddStrategy(_ => new AttemptStrategy(attempts), attempts);
            }
            if (common.Timeout > TimeSpan.Zero) builder.AddTimeout(new TimeoutStrategyOptions { Timeout = common.Timeout });
            return new StagePolicy(builder.Build(), retry.Attempts, common.Timeout);
        }
        catch (ValidationException e)
        {
            var text = e.Message.ReplaceLineEndings(" ");
            var key = text.Contains("Timeout", StringComparison.Ordinal) ? "timeout"
                : text.Contains("MaxBackoff", StringComparison.Ordinal) ? "retry.max_backoff"
                : text.Contains("Backoff", StringComparison.Ordinal) ? "retry.backoff" : "retry.attempts";
            error(key, $"the stage's retry/timeout settings are refused: {Detail(text)}");
            return null;
        }
    }

    private static string Detail(string message)
    {
        var i = message.IndexOf("Validation Errors:", StringComparison.Ordinal);
        return (i >= 0 ? message[(i + "Validation Errors:".Length)..] : message).Trim();
    }

    /// <summary>Runs every attempt of one operation of the stage's own (not an item) through the pipeline.</summary>
    internal async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> operation, Func<Exception, bool> shouldRetry, CancellationToken ct)
    {
        if (IsEmpty) return await operation(ct).ConfigureAwait(false);
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(IAttemptState.Key, new RetryWhen(this, shouldRetry));
        try
        {
            var outcome = await Pipeline.ExecuteOutcomeAsync(AttemptAsync, context, operation).ConfigureAwait(false);
            if (outcome.Exception is { } error) ExceptionDispatchInfo.Throw(Translate(error));
            return outcome.Result!;
        }
        finally { ResilienceContextPool.Shared.Return(context); }
    }

    private static async ValueTask<Polly.Outcome<T>> AttemptAsync<T>(ResilienceContext context, Func<CancellationToken, Task<T>> operation)
    {
        try { return Polly.Outcome.FromResult(await operation(context.CancellationToken).ConfigureAwait(false)); }
        catch (Exception e) { return Polly.Outcome.FromException<T>(e); }
    }

    // What the retry strategy asks of a failed operation: a cancellation is never retried, a timeout is asked
    // about as the TimeoutException the caller would see.
    private sealed class RetryWhen(StagePolicy policy, Func<Exception, bool> shouldRetry) : IAttemptState
    {
        public bool ShouldRetry(Exception error) => error is not OperationCanceledException && shouldRetry(policy.Translate(error));
    }

    /// <summary>The message of a timed-out attempt, as users read it.</summary>
    internal string TimedOut => $"timed out after {Options.Duration.Format(Timeout)}";

    /// <summary>A Polly timeout as the exception a stage understands (its IsTransient sees a TimeoutException).</summary>
    internal Exception Translate(Exception e) => e is TimeoutRejectedException ? new TimeoutException(TimedOut, e) : e;
}
