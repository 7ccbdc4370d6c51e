using System.Diagnostics;

namespace QcPipeline.Core.Runtime;

/// <summary>Live counters of one stage; read by the progress display and turned into the per-stage table.</summary>
public sealed class StageStats(string name, string type, int workers, int capacity)
{
    private long _inputSeen, _in, _out, _failed, _skipped, _passed, _busyTicks, _blockedTicks, _bytes, _cached;
    private readonly LatencyHistogram _latency = new();

    /// <summary>The stage's name.</summary>
    public string Name { get; } = name;
    /// <summary>The stage's type.</summary>
    public string Type { get; } = type;
    /// <summary>Its workers (for pools: the most connections open).</summary>
    public int Workers { get; internal set; } = workers;
    /// <summary>Its input queue's bound.</summary>
    public int Capacity { get; } = capacity;

    /// <summary>Items that reached this stage's worker (processed or not).</summary>
    public long InputSeen => Interlocked.Read(ref _inputSeen);
    /// <summary>Items it started on.</summary>
    public long In => Interlocked.Read(ref _in);
    /// <summary>Items it succeeded on.</summary>
    public long Out => Interlocked.Read(ref _out);
    /// <summary>Items it failed on.</summary>
    public long Failed => Interlocked.Read(ref _failed);
    /// <summary>Items it skipped.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Items that were already failed or skipped upstream and only passed through.</summary>
    public long PassedThrough => Interlocked.Read(ref _passed);
    /// <summary>Bytes it moved.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Items whose result this stage remembered from an earlier run (the stages before it were skipped).</summary>
    public long Cached => Interlocked.Read(ref _cached);
    /// <summary>Time its workers spent on items, summed.</summary>
    public TimeSpan Busy => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _busyTicks));

    /// <summary>Time spent waiting for room in a full downstream queue (backpressure).</summary>
    public TimeSpan Blocked => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _blockedTicks));

    /// <summary>Items waiting in the stage's input queue right now.</summary>
    public Func<int> QueueDepth { get; internal set; } = () => 0;

    internal void Seen() => Interlocked.Increment(ref _inputSeen);
    internal void Started() => Interlocked.Increment(ref _in);
    internal void Succeeded() => Interlocked.Increment(ref _out);
    internal void FailedOne() => Interlocked.Increment(ref _failed);
    internal void SkippedOne() => Interlocked.Increment(ref _skipped);
    internal void PassedOne() => Interlocked.Increment(ref _passed);
    internal void AddBytes(long n)
    {
        Interlocked.Add(ref _bytes, n);
        PipelineTelemetry.BytesMoved.Add(n, new KeyValuePair<string, object?>(PipelineTelemetry.StageTag, Name));
    }
    internal void CachedOne() => Interlocked.Increment(ref _cached);
    internal void AddBlocked(long ticks) => Interlocked.Add(ref _blockedTicks, ticks);

    internal void Record(long elapsedTicks)
    {
        Interlocked.Add(ref _busyTicks, elapsedTicks);
        _latency.Record(elapsedTicks);
    }

    /// <summary>Mean time per item.</summary>
    public double MeanMs => In == 0 ? 0 : Busy.TotalMilliseconds / In;
    /// <summary>95th percentile of the time per item.</summary>
    public double P95Ms => _latency.Percentile(0.95);

    /// <summary>Busy time over what the workers could have done in the run's wall time.</summary>
    public double Utilisation(TimeSpan wall) =>
        wall <= TimeSpan.Zero || Workers == 0 ? 0 : Math.Min(1, Busy.TotalMilliseconds / (wall.TotalMilliseconds * Workers));
}

/// <summary>A lock-free histogram of latencies in logarithmic buckets (8 per power of two, about 9% wide),
/// for p95 without keeping every sample; bucketing uses bit arithmetic, not logarithms (it is on the hot path).</summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 3;
    private readonly long[] _buckets = new long[64 << SubBits];

    public void Record(long ticks)
    {
        Interlocked.Increment(ref _buckets[Bucket((ulong)Math.Max(1, ticks))]);
    }

    private static int Bucket(ulong v)
    {
        var exp = System.Numerics.BitOperations.Log2(v);
        var mantissa = exp >= SubBits ? (int)(v >> (exp - SubBits)) & ((1 << SubBits) - 1) : (int)(v << (SubBits - exp)) & ((1 << SubBits) - 1);
        return (exp << SubBits) | mantissa;
    }

    private static double UpperTicks(int bucket)
    {
        var exp = bucket >> SubBits;
        var mantissa = bucket & ((1 << SubBits) - 1);
        return Math.Pow(2, exp) * (1 + (mantissa + 1) / (double)(1 << SubBits));
    }

    /// <summary>The latency in ms below which <paramref name="q"/> of the samples fall (bucket upper bound).</summary>
    public double Percentile(double q)
    {
        long total = 0;
        for (var i = 0; i < _buckets.Length; i++) total += Interlocked.Read(ref _buckets[i]);
        if (total == 0) return 0;
        var rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += Interlocked.Read(ref _buckets[i]);
            if (seen >= rank) return UpperTicks(i) * 1000.0 / Stopwatch.Frequency;
        }
        return 0;
    }
}
