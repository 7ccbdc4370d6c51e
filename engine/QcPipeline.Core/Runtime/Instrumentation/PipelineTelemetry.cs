using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// The engine's spans and metrics, through System.Diagnostics: whoever exports them listens to these (the engine
/// exports nothing itself). Span and attribute names are fixed here, in one place.
/// </summary>
public static class PipelineTelemetry
{
    /// <summary>The ActivitySource and Meter name.</summary>
    public const string SourceName = "QcPipeline";
    /// <summary>The engine's spans.</summary>
    public static readonly ActivitySource Source = new(SourceName, "1.0");
    /// <summary>The engine's metrics.</summary>
    public static readonly Meter Meter = new(SourceName, "1.0");

    // Span attributes.
    /// <summary>The stage's name.</summary>
    public const string StageTag = "qc.stage";
    /// <summary>The stage's type.</summary>
    public const string StageTypeTag = "qc.stage.type";
    /// <summary>The item's key at this stage.</summary>
    public const string ItemTag = "qc.item";
    /// <summary>The key of the source item it came from.</summary>
    public const string RootTag = "qc.item.root";
    /// <summary>The worker (connection) that ran it.</summary>
    public const string WorkerTag = "qc.worker";
    /// <summary>How many attempts it took.</summary>
    public const string AttemptTag = "qc.attempt";
    /// <summary>Bytes the stage moved for it.</summary>
    public const string BytesTag = "qc.bytes";
    /// <summary>ok, failed, skipped or cancelled.</summary>
    public const string OutcomeTag = "qc.outcome";
    /// <summary>The job's name.</summary>
    public const string JobTag = "qc.job";

    internal static readonly Counter<long> Items = Meter.CreateCounter<long>("qc.items", "{item}", "Items handled per stage, by outcome (ok, failed, skipped).");
    /// <summary>The histogram of the time one stage spent on one item, in ms.</summary>
    public const string ItemDurationName = "qc.item.duration";

    internal static readonly Histogram<double> Latency = Meter.CreateHistogram<double>(ItemDurationName, "ms", "Time one stage spent on one item.");
    internal static readonly Counter<long> BytesMoved = Meter.CreateCounter<long>("qc.bytes", "By", "Bytes transferred by a stage.");

    private static readonly List<Func<IEnumerable<Measurement<int>>>> QueueProbes = [];
    private static readonly List<Func<IEnumerable<Measurement<int>>>> PoolProbes = [];

    static PipelineTelemetry()
    {
        Meter.CreateObservableGauge("qc.queue.depth", () => Observe(QueueProbes), "{item}", "Items waiting in a stage's input queue.");
        Meter.CreateObservableGauge("qc.pool.open", () => Observe(PoolProbes), "{connection}", "Resources (connections) open per pooled stage.");
    }

    private static IEnumerable<Measurement<int>> Observe(List<Func<IEnumerable<Measurement<int>>>> probes)
    {
        lock (probes) return probes.SelectMany(p => p()).ToList();
    }

    internal static IDisposable Probe(Func<IEnumerable<Measurement<int>>> queue, Func<IEnumerable<Measurement<int>>> pool)
    {
        lock (QueueProbes) QueueProbes.Add(queue);
        lock (PoolProbes) PoolProbes.Add(pool);
        return new Unprobe(queue, pool);
    }

    private sealed class Unprobe(Func<IEnumerable<Measurement<int>>> q, Func<IEnumerable<Measurement<int>>> p) : IDisposable
    {
        public void Dispose()
        {
            lock (QueueProbes) QueueProbes.Remove(q);
            lock (PoolProbes) PoolProbes.Remove(p);
        }
    }
}
