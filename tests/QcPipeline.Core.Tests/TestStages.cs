using System.Collections.Concurrent;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Tests;

// Small stage types that the tests write real YAML jobs with. Each job names a `tag`: what its stages
// saw is kept in the Probe of that tag, so tests running in parallel do not see each other.

/// <summary>A number item: <see cref="Root"/> is the number of the source item it came from.</summary>
public sealed record Num(string Key, long Value, long Root) : IItem;

/// <summary>An item of another type, for type mismatches between stages.</summary>
public sealed record Text(string Key, string Value) : IItem;

/// <summary>What the stages of one test job saw and did.</summary>
public sealed class Probe
{
    private static readonly ConcurrentDictionary<string, Probe> All = new();
    public static Probe Of(string tag) => All.GetOrAdd(tag, _ => new Probe());
    public static string NewTag() => "t" + Guid.NewGuid().ToString("N")[..10];

    public long Produced;
    public long Consumed;
    public long MaxInFlight;
    public long Flushes;
    public readonly ConcurrentQueue<Outcome<Num>> Sunk = new();
    public readonly ConcurrentDictionary<string, ConcurrentQueue<(int Attempt, long Ticks)>> Attempts = new();
    public readonly ConcurrentDictionary<string, IReadOnlyList<string>> JoinOrders = new();
    public readonly ConcurrentQueue<string> Events = new();

    // Per-worker resources.
    public readonly ConcurrentQueue<TestResource> Opened = new();
    public long OpensStarted;
    public long OpensRunning;
    public long MaxOpensRunning;
    public long SharedUse; // a resource lent to more items at once than it allows
    public long MaxSharing; // the most items that used one resource at once
    public IReadOnlyList<IStageLifecycle> Consumers = []; // what the source saw of the stages it feeds
    public readonly ConcurrentDictionary<int, int> WorkersUsed = new();

    // Concurrency of a stage.
    public long Running;
    public long MaxRunning;

    public void Produce()
    {
        var inFlight = Interlocked.Increment(ref Produced) - Interlocked.Read(ref Consumed);
        Raise(ref MaxInFlight, inFlight);
    }

    public void Attempt(string key, int attempt) =>
        Attempts.GetOrAdd(key, _ => new()).Enqueue((attempt, System.Diagnostics.Stopwatch.GetTimestamp()));

    public static void Raise(ref long max, long value)
    {
        for (var m = Interlocked.Read(ref max); value > m; m = Interlocked.Read(ref max))
            if (Interlocked.CompareExchange(ref max, value, m) == m) return;
    }
}

/// <summary>Deterministic "random" choices per stage and item, so a test can predict every outcome.</summary>
public static class Chance
{
    public static double Of(int seed, string key)
    {
        // FNV-1a over the seed and key: stable across runs and processes (string.GetHashCode is not).
        var h = 2166136261u ^ (uint)seed;
        foreach (var c in key) { h ^= c; h *= 16777619u; }
        h ^= h >> 15; h *= 2246822519u; h ^= h >> 13;
        return (h & 0xFFFFFF) / (double)0x1000000;
    }
}

[ConnectionType("test.conn", "A connection for tests, with a secret.")]
public sealed class TestConnection
{
    [Option("Host name.", Required = true)]
    public string Host { get; init; } = "";

    [Option("Password.")]
    public Secret Password { get; init; } = Secret.None;
}

public sealed class NumbersOptions
{
    [Option("Probe tag.")] public string Tag { get; init; } = "";
    [Option("Items to produce.", Min = 0, Max = 10_000_000)] public int Count { get; init; } = 10;
    [Option("Key prefix.")] public string Prefix { get; init; } = "n";
    [Option("Pause before each item.")] public TimeSpan Interval { get; init; }
    [Option("Produce until stopped.")] public bool Forever { get; init; }
    [Option("Throw after this many items (-1: never).", Min = -1)] public int FailAfter { get; init; } = -1;
    [Option("Report this many items as not producible through SourceContext.Fail.", Min = 0)] public int Unreadable { get; init; }
    [Option("Throw from StartAsync.")] public bool FailStart { get; init; }
    [Option("A secret.")] public Secret Password { get; init; } = Secret.None;
    [Option("A connection.")] public TestConnection? Connection { get; init; }
    [Option("Before producing, an operation under the stage's retry: that fails (with an IOException) this many times.", Min = 0)] public int FlakyStart { get; init; }
}

[Stage("test.numbers", "Produces numbered items.")]
public sealed class NumbersStage : SourceStage<Num, NumbersOptions>
{
    public override ValueTask StartAsync(CancellationToken ct)
    {
        if (Options.FailStart) throw new InvalidOperationException("cannot start numbers");
        Probe.Of(Options.Tag).Consumers = Context.Consumers;
        return ValueTask.CompletedTask;
    }

    public override async IAsyncEnumerable<Num> ReadAsync(SourceContext context)
    {
        var probe = Probe.Of(Options.Tag);
        var ct = context.CancellationToken;
        for (var i = 0; i < Options.Unreadable; i++) context.Fail($"{Options.Prefix}bad{i}", "unreadable");
        if (Options.FlakyStart > 0)
        {
            var attempts = 0;
            await Context.ExecuteAsync(_ =>
            {
                probe.Attempt("start", ++attempts);
                return attempts <= Options.FlakyStart ? throw new IOException($"start failed ({attempts})") : Task.FromResult(attempts);
            }, e => e is IOException, ct);
        }
        for (long i = 0; Options.Forever || i < Options.Count; i++)
        {
            if (Options.Interval > TimeSpan.Zero) await Task.Delay(Options.Interval, ct);
            else if (i % 1024 == 0) await Task.Yield();
            ct.ThrowIfCancellationRequested();
            if (i == Options.FailAfter) throw new InvalidOperationException($"source broke after {i} items");
            probe.Produce();
            yield return new Num($"{Options.Prefix}{i}", i, i);
        }
    }
}

public sealed class MapOptions
{
    [Option("Probe tag.")] public string Tag { get; init; } = "";
    [Option("Seed of the failure choices.")] public int Seed { get; init; }
    [Option("Share of items that fail (not transient).", Min = 0, Max = 1)] public double FailRatio { get; init; }
    [Option("Share of items that are skipped.", Min = 0, Max = 1)] public double SkipRatio { get; init; }
    [Option("Share of items whose first attempt fails with a transient error.", Min = 0, Max = 1)] public double FlakyRatio { get; init; }
    [Option("Items that always fail (not transient).")] public string[] FailKeys { get; init; } = [];
    [Option("Items that always fail with a transient error.")] public string[] TransientKeys { get; init; } = [];
    [Option("Items whose first attempts fail with a transient error.")] public string[] FlakyKeys { get; init; } = [];
    [Option("How many attempts of a flaky item fail.", Min = 0)] public int FlakyAttempts { get; init; } = 1;
    [Option("Items that wait for cancellation on their first attempts (flaky_attempts of them).")] public string[] HangKeys { get; init; } = [];
    [Option("Every item waits for cancellation.")] public bool HangAll { get; init; }
    [Option("With hang_all: cancellation ends the wait with an I/O error, as an aborted connection's call does.")] public bool AbortAsIo { get; init; }
    [Option("Every item waits 20 s, ignoring cancellation (a call stuck in a hung file system).")] public bool Stuck { get; init; }
    [Option("Items that throw OperationCanceledException themselves.")] public string[] CancelKeys { get; init; } = [];
    [Option("Time per item.")] public TimeSpan Delay { get; init; }
    [Option("Up to this much extra time per item (varies by item), to mix up the order.")] public TimeSpan Jitter { get; init; }
    [Option("Pass items on and note nothing (for runs of many items).")] public bool Plain { get; init; }
}

[Stage("test.map", "Passes items on; fails, skips or delays chosen ones.")]
public sealed class MapStage : TransformStage<Num, Num, MapOptions>
{
    public override async ValueTask<Num> ProcessAsync(Num item, ItemContext context)
    {
        var o = Options;
        if (o.Plain) return item;
        var probe = Probe.Of(o.Tag);
        probe.Attempt(Context.Name + "/" + item.Key, context.Attempt);
        Probe.Raise(ref probe.MaxRunning, Interlocked.Increment(ref probe.Running));
        try
        {
            var delay = o.Delay + o.Jitter * Chance.Of(o.Seed + 3, item.Key);
            if (delay > TimeSpan.Zero) await Task.Delay(delay, context.CancellationToken);
            var first = context.Attempt <= o.FlakyAttempts;
            if (o.Stuck) await Task.Delay(TimeSpan.FromSeconds(20), CancellationToken.None);
            if (o.HangAll && o.AbortAsIo)
            {
                try { await Task.Delay(Timeout.Infinite, context.CancellationToken); }
                catch (OperationCanceledException) { throw new IOException("connection aborted"); }
            }
            if (o.HangAll || (first && o.HangKeys.Contains(item.Key))) await Task.Delay(Timeout.Infinite, context.CancellationToken);
            if (o.CancelKeys.Contains(item.Key)) throw new OperationCanceledException("the stage's own HTTP client gave up");
            if (o.FailKeys.Contains(item.Key) || Chance.Of(o.Seed, item.Key) < o.FailRatio)
                throw new InvalidOperationException($"{item.Key} is bad");
            if (Chance.Of(o.Seed + 1, item.Key) < o.SkipRatio) throw new SkipItemException($"{item.Key} is not wanted");
            if (o.TransientKeys.Contains(item.Key)) throw new IOException($"{item.Key}: connection reset");
            if (first && (o.FlakyKeys.Contains(item.Key) || Chance.Of(o.Seed + 2, item.Key) < o.FlakyRatio))
                throw new IOException($"{item.Key}: try again");
            return item;
        }
        finally { Interlocked.Decrement(ref probe.Running); }
    }
}

/// <summary>A per-worker resource that notes its opening, use and disposal.</summary>
public sealed class TestResource(int worker) : IDisposable
{
    public int Worker { get; } = worker;
    public int InUse;
    public int Disposals;
    public bool Broken;
    public void Dispose() => Interlocked.Increment(ref Disposals);
}

public sealed class PoolOptions : ISharedResources
{
    public int ItemsPerResource => Shares;
    [Option("Probe tag.")] public string Tag { get; init; } = "";
    [Option("Time to open one resource.")] public TimeSpan OpenDelay { get; init; }
    [Option("Workers from this index on are refused (-1: none).", Min = -1)] public int RefuseFrom { get; init; } = -1;
    [Option("Every open fails with a non-transient error.")] public bool RefuseAll { get; init; }
    [Option("Items that break their resource.")] public string[] BreakKeys { get; init; } = [];
    [Option("Share of items that fail.", Min = 0, Max = 1)] public double FailRatio { get; init; }
    [Option("Time per item.")] public TimeSpan Delay { get; init; }
    [Option("Every item waits for cancellation.")] public bool HangAll { get; init; }
    [Option("Items that may use one resource at once.", Min = 1)] public int Shares { get; init; } = 1;
}

[Stage("test.pool", "Passes items on using one resource per worker.")]
public sealed class PoolStage : PooledTransformStage<Num, Num, PoolOptions, TestResource>
{
    public override async ValueTask<TestResource> OpenAsync(int worker, CancellationToken ct)
    {
        var probe = Probe.Of(Options.Tag);
        Interlocked.Increment(ref probe.OpensStarted);
        Probe.Raise(ref probe.MaxOpensRunning, Interlocked.Increment(ref probe.OpensRunning));
        try
        {
            if (Options.OpenDelay > TimeSpan.Zero) await Task.Delay(Options.OpenDelay, ct);
            if (Options.RefuseAll) throw new UnauthorizedAccessException("authentication failed");
            if (Options.RefuseFrom >= 0 && worker >= Options.RefuseFrom) throw new IOException("connection refused: too many sessions");
            var r = new TestResource(worker);
            probe.Opened.Enqueue(r);
            return r;
        }
        finally { Interlocked.Decrement(ref probe.OpensRunning); }
    }

    public override async ValueTask<Num> ProcessAsync(Num item, TestResource resource, ItemContext context)
    {
        var probe = Probe.Of(Options.Tag);
        var inUse = Interlocked.Increment(ref resource.InUse);
        if (inUse > Options.Shares) Interlocked.Increment(ref probe.SharedUse);
        Probe.Raise(ref probe.MaxSharing, inUse);
        try
        {
            if (resource.Disposals > 0) throw new InvalidOperationException("used after dispose");
            probe.WorkersUsed.AddOrUpdate(context.Worker, 1, (_, n) => n + 1);
            if (Options.Delay > TimeSpan.Zero) await Task.Delay(Options.Delay, context.CancellationToken);
            if (Options.HangAll) await Task.Delay(Timeout.Infinite, context.CancellationToken);
            if (Options.BreakKeys.Contains(item.Key) && context.Attempt == 1) { resource.Broken = true; throw new IOException("session dropped"); }
            if (Chance.Of(7, item.Key) < Options.FailRatio) throw new InvalidOperationException($"{item.Key} is bad");
            return item;
        }
        finally { Interlocked.Decrement(ref resource.InUse); }
    }

    public override bool IsBroken(TestResource resource, Exception error) => resource.Broken;
}

public sealed class SplitOptions
{
    [Option("Probe tag.")] public string Tag { get; init; } = "";
    [Option("Children per item.", Min = 0)] public int Children { get; init; } = 3;
    [Option("Vary the number of children: value mod (children + 1), so some items have none.")] public bool Vary { get; init; }
}

[Stage("test.split", "Splits an item into children.")]
public sealed class SplitStage : FanOutStage<Num, Num, SplitOptions>
{
    public static int ChildCount(SplitOptions o, Num item) => o.Vary ? (int)(item.Value % (o.Children + 1)) : o.Children;

    public override IReadOnlyList<Num> Expand(Num item, ItemContext context) =>
        Enumerable.Range(0, ChildCount(Options, item)).Select(i => new Num($"{item.Key}#{i}", item.Value * 10 + i, item.Root)).ToList();
}

public sealed class JoinOptions
{
    [Option("Probe tag.")] public string Tag { get; init; } = "";
}

[Stage("test.join", "Joins the children of a split, noting their order.")]
public sealed class JoinTestStage : JoinStage<Num, Num, JoinOptions>
{
    public override Num Combine(JoinGroup<Num> group, ItemContext context)
    {
        Probe.Of(Options.Tag).JoinOrders[group.ParentKey] = group.Items.Select(i => i.Key).ToList();
        var first = group.Items[0];
        var root = first.Value?.Root ?? (first.Input as Num)?.Root ?? -1;
        return new Num(group.ParentKey, group.Items.Count, root);
    }
}

public sealed class CollectOptions
{
    [Option("Probe tag.")] public string Tag { get; init; } = "";
    [Option("Time per item.")] public TimeSpan Delay { get; init; }
    [Option("Busy work per item (spins), to be slower than the source without sleeping.", Min = 0)] public int Spin { get; init; }
    [Option("Items whose writing fails.")] public string[] FailKeys { get; init; } = [];
    [Option("Flushing fails.")] public bool FailFlush { get; init; }
    [Option("Count items but keep nothing (for runs of many items).")] public bool Plain { get; init; }
}

[Stage("test.collect", "Keeps every outcome it receives.")]
public sealed class CollectStage : SinkStage<Num, CollectOptions>
{
    private Probe? _probe;

    public override async ValueTask ConsumeAsync(Outcome<Num> item, ItemContext context)
    {
        var probe = _probe ??= Probe.Of(Options.Tag);
        if (Options.Spin > 0) Thread.SpinWait(Options.Spin);
        if (Options.Plain) { Interlocked.Increment(ref probe.Consumed); return; }
        if (Options.Delay > TimeSpan.Zero) await Task.Delay(Options.Delay);
        probe.Sunk.Enqueue(item);
        Interlocked.Increment(ref probe.Consumed);
        if (context.IsAwaited) context.Record($"{{\"key\": \"{item.Key}\", \"ok\": {(item.IsOk ? "true" : "false")}}}");
        if (Options.FailKeys.Contains(item.Key)) throw new IOException($"cannot write {item.Key}");
    }

    public override ValueTask FlushAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref Probe.Of(Options.Tag).Flushes);
        return Options.FailFlush ? throw new IOException("disk full") : ValueTask.CompletedTask;
    }
}

[Stage("test.text", "Reads text items (for type mismatches).")]
public sealed class TextStage : TransformStage<Text, Text, NoOptions>
{
    public override ValueTask<Text> ProcessAsync(Text item, ItemContext context) => ValueTask.FromResult(item);
}

public sealed class AutoOptions : IAutoWorkers
{
    public int AutoWorkers => 3;

    [Option("Probe tag.")] public string Tag { get; init; } = "";
}

[Stage("test.auto", "A transform whose 'auto' workers means 3.", DefaultWorkers = "auto")]
public sealed class AutoStage : TransformStage<Num, Num, AutoOptions>
{
    public override ValueTask<Num> ProcessAsync(Num item, ItemContext context) => ValueTask.FromResult(item);
}

/// <summary>Counts its instances: the compiler must make none, a run one.</summary>
[Stage("test.counted", "A transform that counts how often it is instantiated.")]
public sealed class CountedStage : TransformStage<Num, Num, NoOptions>
{
    public static int Instances;
    public CountedStage() => Interlocked.Increment(ref Instances);
    public override ValueTask<Num> ProcessAsync(Num item, ItemContext context) => ValueTask.FromResult(item);
}

public sealed class ClashOptions
{
    [Option("Redeclares a common key.")] public int Workers { get; init; }
}

[Stage("test.clash", "Declares an option every stage has already.")]
public sealed class ClashStage : TransformStage<Num, Num, ClashOptions>
{
    public override ValueTask<Num> ProcessAsync(Num item, ItemContext context) => ValueTask.FromResult(item);
}

/// <summary>No [Stage] attribute: cannot be registered.</summary>
public sealed class UnnamedStage : TransformStage<Num, Num, NoOptions>
{
    public override ValueTask<Num> ProcessAsync(Num item, ItemContext context) => ValueTask.FromResult(item);
}
