namespace QcPipeline.Core.Stages;

/// <summary>
/// What every stage type shares. A stage type is a class with <see cref="StageAttribute"/> deriving from
/// one of the shapes below, registered by its family (see <see cref="StageRegistry"/>); its options class
/// declares its options once (see Options.OptionAttribute). One instance serves one run; ProcessAsync may
/// run on several workers at once.
/// </summary>
public abstract class Stage<TOptions> : IStageLifecycle where TOptions : class, new()
{
    /// <summary>The stage's bound options.</summary>
    public TOptions Options { get; private set; } = new();
    /// <summary>The stage's run context (set before it starts).</summary>
    public StageContext Context { get; private set; } = null!;

    void IStageLifecycle.Attach(object options, StageContext context) { Options = (TOptions)options; Context = context; }

    /// <summary>Called once before items flow (open shared resources here).</summary>
    public virtual ValueTask StartAsync(CancellationToken ct) => ValueTask.CompletedTask;

    /// <summary>Called once at the end of the run, also after a failure or cancel.</summary>
    public virtual ValueTask StopAsync() => ValueTask.CompletedTask;

    /// <summary>Failures worth another attempt (with backoff); others fail the item at once.</summary>
    public virtual bool IsTransient(Exception error) => error is TimeoutException or IOException;
}

/// <summary>The engine's view of a stage instance, whatever its shape.</summary>
public interface IStageLifecycle
{
    /// <summary>Gives the instance its bound options and its run's context (once, before it starts).</summary>
    void Attach(object options, StageContext context);

    /// <summary>Called once before items flow.</summary>
    ValueTask StartAsync(CancellationToken ct);

    /// <summary>Called once at the end of the run.</summary>
    ValueTask StopAsync();

    /// <summary>Whether an attempt that failed with <paramref name="error"/> is worth another.</summary>
    bool IsTransient(Exception error);
}

/// <summary>Produces the items of a run (e.g. lists files). Stops when its token is cancelled.</summary>
public abstract class SourceStage<TOut, TOptions> : Stage<TOptions> where TOut : IItem where TOptions : class, new()
{
    /// <summary>The items, until done or <see cref="SourceContext.CancellationToken"/> is cancelled.</summary>
    public abstract IAsyncEnumerable<TOut> ReadAsync(SourceContext context);
}

/// <summary>Turns each item into one item.</summary>
public abstract class TransformStage<TIn, TOut, TOptions> : Stage<TOptions>
    where TIn : IItem where TOut : IItem where TOptions : class, new()
{
    /// <summary>The result for one item (throw to fail it; <see cref="SkipItemException"/> skips it).</summary>
    public abstract ValueTask<TOut> ProcessAsync(TIn item, ItemContext context);
}

/// <summary>
/// Turns each item into one item using a per-worker resource (a connection to a server): the engine opens one
/// per worker, hands it to up to <see cref="ISharedResources.ItemsPerResource"/> items at a time (as its options
/// say; one by default), reopens it when broken, and disposes all at the end. The stage runs workers × that many
/// items at once.
/// </summary>
public abstract class PooledTransformStage<TIn, TOut, TOptions, TResource> : Stage<TOptions>
    where TIn : IItem where TOut : IItem where TOptions : class, new() where TResource : class, IDisposable
{

    /// <summary>Opens the resource for worker <paramref name="worker"/> (0-based).</summary>
    public abstract ValueTask<TResource> OpenAsync(int worker, CancellationToken ct);

    /// <summary>The result for one item, using a resource no other item uses meanwhile.</summary>
    public abstract ValueTask<TOut> ProcessAsync(TIn item, TResource resource, ItemContext context);

    /// <summary>After this error the resource cannot be used again and is reopened for the next item.</summary>
    public virtual bool IsBroken(TResource resource, Exception error) => IsTransient(error);

    /// <summary>How many resources to have open, given the items seen so far (the "auto" policy).</summary>
    public virtual int PoolTarget(long itemsSeen, bool inputComplete, int max) => max;

    /// <summary>Idle resources get <see cref="KeepAlive"/> at this interval (zero: never).</summary>
    public virtual TimeSpan KeepAliveInterval => TimeSpan.Zero;

    /// <summary>Keeps an idle resource alive (a throw marks it broken).</summary>
    public virtual void KeepAlive(TResource resource) { }

    /// <summary>Breaks a blocked call on the resource from another thread (used on abandon).</summary>
    public virtual void Abort(TResource resource) { }
}

/// <summary>Splits an item into children (e.g. an image into its ROIs). Keep children small: descriptors, not pixels.</summary>
public abstract class FanOutStage<TIn, TOut, TOptions> : Stage<TOptions>
    where TIn : IItem where TOut : IItem where TOptions : class, new()
{
    /// <summary>The item's children (none: the item is skipped).</summary>
    public abstract IReadOnlyList<TOut> Expand(TIn item, ItemContext context);
}

/// <summary>Joins the children of one fan-out back into one item, keyed by their parent (never by arrival order).</summary>
public abstract class JoinStage<TIn, TOut, TOptions> : Stage<TOptions>
    where TIn : IItem where TOut : IItem where TOptions : class, new()
{
    /// <summary>One item from all the children of one parent.</summary>
    public abstract TOut Combine(JoinGroup<TIn> group, ItemContext context);
}

/// <summary>Consumes items (also failed and skipped ones) and writes outputs; runs on one worker.</summary>
public abstract class SinkStage<TIn, TOptions> : Stage<TOptions> where TIn : IItem where TOptions : class, new()
{
    /// <summary>Takes one item's outcome (failed and skipped ones too).</summary>
    public abstract ValueTask ConsumeAsync(Outcome<TIn> item, ItemContext context);

    /// <summary>Called once after the last item (also after a cancel): write the outputs.</summary>
    public virtual ValueTask FlushAsync(CancellationToken ct) => ValueTask.CompletedTask;
}

/// <summary>Options for stage types that have none of their own.</summary>
public sealed class NoOptions;
