using System.Diagnostics;

namespace QcPipeline.Core.Stages;

/// <summary>What a stage may use during a run: its name, the output folder, shared services, warnings.</summary>
public sealed class StageContext
{
    internal StageContext(string name, string outputDirectory, string jobDirectory, RunServices services,
        Action<string> warn, CancellationToken runCancelled)
    {
        Name = name; OutputDirectory = outputDirectory; JobDirectory = jobDirectory;
        Services = services; _warn = warn; RunCancelled = runCancelled;
    }

    private readonly Action<string> _warn;

    /// <summary>The stage's name in the job.</summary>
    public string Name { get; }

    /// <summary>The run's output folder (created before the run starts).</summary>
    public string OutputDirectory { get; }

    /// <summary>The folder of the job file (relative paths start here).</summary>
    public string JobDirectory { get; }

    /// <summary>Objects shared by the stages of one run (a demo server, a cache), disposed at its end.</summary>
    public RunServices Services { get; }

    /// <summary>--no-cache: stages that keep a cache between runs must neither read nor write it.</summary>
    public bool CacheDisabled { get; internal set; }

    /// <summary>Fires when the run is asked to stop (Ctrl+C, or a stage with on_error: fail).</summary>
    public CancellationToken RunCancelled { get; }

    /// <summary>The stages this stage's items go to, so a stage can ask what they need of them (a header
    /// reader may declare which parts of a file it reads). Set before StartAsync.</summary>
    public IReadOnlyList<IStageLifecycle> Consumers { get; internal set; } = [];

    /// <summary>Total of the workers the stage runs with (after "auto" is resolved).</summary>
    public int Workers { get; internal set; }

    /// <summary>Items counted into this stage so far, and whether its input is complete
    /// (for policies that follow the size of the job, like a pool of connections).</summary>
    public long ItemsSeen => Stats?.InputSeen ?? 0;

    /// <summary>Items the sources announced for the whole run (0 while unknown).</summary>
    public long ItemsExpected => Expected?.Invoke() ?? 0;
    internal Func<long>? Expected { get; set; }
    /// <summary>True once every input of the stage is complete.</summary>
    public bool InputComplete { get; internal set; }
    internal Runtime.StageStats? Stats { get; set; }

    // The stage's retry: and timeout:, compiled with the job (see GraphNode.Policy).
    internal Runtime.StagePolicy Policy { get; set; } = Runtime.StagePolicy.None;

    /// <summary>
    /// Runs an operation of the stage's own (not one item's: e.g. one folder of a listing) under the stage's
    /// <c>retry:</c> and <c>timeout:</c>, as items of other stages run: each attempt gets the timeout through the
    /// token it is given (a timed-out attempt fails with a <see cref="TimeoutException"/>), and a failed attempt
    /// is tried again after the backoff while attempts remain and <paramref name="shouldRetry"/> says so. It is
    /// asked only then (so it may say why), never about a cancellation or once the run is stopping.
    /// </summary>
    public Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> operation, Func<Exception, bool> shouldRetry, CancellationToken ct) =>
        Policy.ExecuteAsync(operation, e => !RunCancelled.IsCancellationRequested && shouldRetry(e), ct);

    /// <summary>A warning printed once to the user and kept in run.json.</summary>
    public void Warn(string message) => _warn($"{Name}: {message}");

    /// <summary>Bytes moved by this stage (reported per stage and as a metric).</summary>
    public void AddBytes(long bytes) => Stats?.AddBytes(bytes);
}

/// <summary>What one item's processing can see: cancellation, the attempt, its worker, its span.</summary>
public sealed class ItemContext
{
    internal ItemContext(StageContext stage, string key, int attempt, int worker, Activity? activity, CancellationToken ct)
    {
        Stage = stage; Key = key; Attempt = attempt; Worker = worker; Activity = activity; CancellationToken = ct;
    }

    /// <summary>The stage's context.</summary>
    public StageContext Stage { get; }
    /// <summary>The item's key.</summary>
    public string Key { get; }

    /// <summary>1 for the first try, 2 for the first retry, …</summary>
    public int Attempt { get; }

    /// <summary>Which worker (for pooled stages: which connection) runs this item, from 0.</summary>
    public int Worker { get; }

    /// <summary>The item's span for this stage, or null when it is not traced.</summary>
    public Activity? Activity { get; }

    /// <summary>Cancelled on timeout or when the run is abandoned.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Adds a tag to the item's span (does nothing when it is not traced).</summary>
    public void Tag(string name, object? value) => Activity?.SetTag(name, value);

    /// <summary>True when a caller awaits this item's end and will receive what a sink records of it (a fed
    /// source's item: a request waiting for its answer).</summary>
    public bool IsAwaited => Recorder is not null;

    /// <summary>A sink's record of the item (the line it wrote for it, as JSON text), handed to the caller awaiting
    /// the item (see <see cref="IsAwaited"/>); ignored when nobody awaits it.</summary>
    public void Record(string json) => Recorder?.Invoke(json);

    internal Action<string>? Recorder { get; init; }

    /// <summary>Counts bytes moved for this item (stage totals, metrics, and the span's qc.bytes tag).</summary>
    public void AddBytes(long bytes)
    {
        Stage.AddBytes(bytes);
        if (Activity is { } a) a.SetTag("qc.bytes", (long)(a.GetTagItem("qc.bytes") as long? ?? 0) + bytes);
    }
}

/// <summary>What a source sees: when to stop, and how to report an item it could not produce.</summary>
public sealed class SourceContext
{
    private readonly Action<string, string> _fail;
    private readonly Action<long> _announce;

    internal SourceContext(StageContext stage, CancellationToken stop, Action<string, string> fail, Action<long> announce)
    {
        Stage = stage; CancellationToken = stop; _fail = fail; _announce = announce;
    }

    /// <summary>Tells the run how many items this source will produce, once it knows (progress bars and
    /// pool policies such as "auto" workers follow it).</summary>
    public void AnnounceTotal(long count) => _announce(count);

    /// <summary>The stage's context.</summary>
    public StageContext Stage { get; }

    /// <summary>Cancelled when the run stops reading sources (Ctrl+C).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Reports an item that exists but could not be produced (e.g. a folder that cannot be listed):
    /// it is counted as failed with the reason, so nothing is lost silently.</summary>
    public void Fail(string key, string reason) => _fail(key, reason);
}

/// <summary>The fan-out children of one parent item, collected by a join, in the order they were emitted.</summary>
public sealed class JoinGroup<T>(string parentKey, IReadOnlyList<Outcome<T>> items)
{
    /// <summary>The key of the item that was fanned out.</summary>
    public string ParentKey { get; } = parentKey;
    /// <summary>Its children, in the order they were emitted.</summary>
    public IReadOnlyList<Outcome<T>> Items { get; } = items;
}

/// <summary>Services shared by the stages of one run; created on first use, disposed at the end of the run.</summary>
public sealed class RunServices(Action<string>? warn = null) : IAsyncDisposable
{
    private readonly Dictionary<string, object> _services = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The service of this key, made by <paramref name="create"/> on first use.</summary>
    public async Task<T> GetOrCreateAsync<T>(string key, Func<CancellationToken, Task<T>> create, CancellationToken ct) where T : class
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_services.TryGetValue(key, out var existing)) return (T)existing;
            var made = await create(ct).ConfigureAwait(false);
            _services[key] = made;
            return made;
        }
        finally { _gate.Release(); }
    }

    /// <summary>Closes every service, newest first; failures are warned.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (key, s) in _services.Reverse())
        {
            try
            {
                if (s is IAsyncDisposable ad) await ad.DisposeAsync().ConfigureAwait(false);
                else if (s is IDisposable d) d.Dispose();
            }
            catch (Exception e)
            {
                // A service that fails to close must not hide the run's result: said, not thrown.
                warn?.Invoke($"closing {key} failed: {e.Message}");
            }
        }
        _services.Clear();
    }
}
