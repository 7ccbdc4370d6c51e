using System.Diagnostics;
using System.Text.Json;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// What the stages' nodes see of their run: the ledger, when to stop and when to give up, warnings, the
/// dead-letter file, tracing decisions and the timeline. The runner owns the lifecycle; nodes only read
/// and report through this.
/// </summary>
internal sealed class RunScope
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly List<string> _warnings = [];
    private readonly HashSet<string> _warned = [];
    private readonly object _deadLetterGate = new();
    private readonly long _startTicks = Stopwatch.GetTimestamp();
    private long _expected;
    private long _warningsDropped;

    /// <summary>Warnings kept for run.json; past this many, they are only counted (a warning per item must not grow without end).</summary>
    public const int MaxWarnings = 1000;

    public RunScope(PipelineGraph graph, string outputDirectory, bool cacheDisabled)
    {
        Graph = graph;
        OutputDirectory = outputDirectory;
        CacheDisabled = cacheDisabled;
        Timeline = new Timeline(graph.Job.Options.Outputs.TimelineLimit);
        Services = new RunServices(Warn);
    }

    public PipelineGraph Graph { get; }
    public string OutputDirectory { get; }
    public string JobDirectory => Graph.Job.Directory;
    public bool CacheDisabled { get; }
    public Ledger Ledger { get; } = new();

    /// <summary>Source stages fed from outside the run, by name (see PipelineRunner.Feed).</summary>
    public Dictionary<string, ItemFeed> Feeds { get; } = new(StringComparer.Ordinal);
    public Timeline Timeline { get; }
    public RunServices Services { get; }
    public long StartTicks => _startTicks;

    /// <summary>Cancelled when sources must stop (Ctrl+C, SIGTERM, on_error: fail, a fault).</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Cancelled when items still in progress are given up (shutdown_timeout passed, or a second Ctrl+C).</summary>
    public CancellationToken Abandoned => _abandon.Token;

    public RunOutcome? StopOutcome { get; private set; }
    public string? StopReason { get; private set; }

    /// <summary>False where stages run on behalf of another machine's run, which applies on_error itself.</summary>
    public bool AppliesErrorPolicy { get; init; } = true;

    /// <summary>Where stages run on behalf of another machine's run: each item's steps are kept for its result.</summary>
    public bool CollectsSteps { get; init; }

    /// <summary>Attributes every span of this run carries (a worker's id and host).</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> SpanTags { get; init; } = [];

    /// <summary>The job's span, parent of every item's first span.</summary>
    public ActivityContext JobContext { get; set; }
    public bool TracesOn => Graph.Job.Options.Telemetry.Traces;

    public long Expected => Interlocked.Read(ref _expected);
    public void Announce(long items) => Interlocked.Add(ref _expected, items);

    public double ElapsedMs(long ticks) => Stopwatch.GetElapsedTime(_startTicks, ticks).TotalMilliseconds;

    public event Action<string>? Warning;

    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_warnings)
            {
                var dropped = Interlocked.Read(ref _warningsDropped);
                return dropped == 0 ? [.. _warnings] : [.. _warnings, $"… and {dropped} more warnings"];
            }
        }
    }

    /// <summary>A warning, printed and kept once.</summary>
    public void Warn(string message)
    {
        lock (_warnings)
        {
            if (_warned.Count >= MaxWarnings) { Interlocked.Increment(ref _warningsDropped); return; }
            if (!_warned.Add(message)) return;
            _warnings.Add(message);
        }
        Warning?.Invoke(message);
    }

    /// <summary>Stops reading sources; items already in progress get the job's shutdown_timeout, then are abandoned.
    /// The first reason given is the run's.</summary>
    public void Stop(RunOutcome outcome, string reason)
    {
        lock (_stop)
        {
            if (StopOutcome is not null) return;
            StopOutcome = outcome;
            StopReason = reason;
        }
        _stop.Cancel();
        _abandon.CancelAfter(Graph.Job.Options.ShutdownTimeout);
    }

    /// <summary>Gives up on items in progress now.</summary>
    public void Abandon(RunOutcome outcome, string reason)
    {
        Stop(outcome, reason);
        _abandon.Cancel();
    }

    public void DeadLetter(Failure f)
    {
        var line = JsonSerializer.Serialize(new { time = DateTimeOffset.UtcNow, stage = f.Stage, item = f.Item, reason = f.Reason, attempts = f.Attempts });
        lock (_deadLetterGate) File.AppendAllText(Path.Combine(OutputDirectory, OutputFiles.DeadLetter), line + "\n");
    }

    /// <summary>Whether this source item's spans are recorded as they happen (telemetry.sample_ratio), decided by its id.</summary>
    public bool IsTraced(long rootId)
    {
        var ratio = Graph.Job.Options.Telemetry.SampleRatio;
        if (ratio >= 1) return true;
        if (ratio <= 0) return false;
        return Sampling.Unit(rootId) < ratio;
    }
}

/// <summary>Deterministic sampling by item id: the same id is always in or out.</summary>
internal static class Sampling
{
    /// <summary>A well-mixed 64-bit hash of the id (Fibonacci hashing).</summary>
    public static ulong Mix(long id) => (ulong)id * 0x9E3779B97F4A7C15UL;

    /// <summary>The id mapped evenly onto [0, 1).</summary>
    public static double Unit(long id) => (Mix(id) >> 11) * (1.0 / (1UL << 53));
}

/// <summary>The names of the files the engine itself writes into the output folder.</summary>
public static class OutputFiles
{
    /// <summary>The run's accounting.</summary>
    public const string RunJson = "run.json";

    /// <summary>Failed items of stages with on_error: dead_letter.</summary>
    public const string DeadLetter = "dead-letter.jsonl";

    /// <summary>The self-contained run report.</summary>
    public const string Report = "report.html";

    /// <summary>Held while a run writes into the folder, so that two runs never share one.</summary>
    public const string Lock = ".qcpipeline.lock";
}
