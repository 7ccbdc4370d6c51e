using System.Collections.Concurrent;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Files;

namespace QcPipeline.Service.Tests;

public sealed class GateOptions
{
    [Option("The gate's name (tests running at once use their own).")] public string Tag { get; init; } = "";
}

/// <summary>Holds every item until the test lets it through: requests stay in flight exactly as long as a test needs.</summary>
[Stage("test.gate", "Holds items until the test opens the gate.")]
public sealed class GateStage : TransformStage<FileItem, FileItem, GateOptions>
{
    public override async ValueTask<FileItem> ProcessAsync(FileItem item, ItemContext context)
    {
        var gate = Gate.Of(Options.Tag);
        Interlocked.Increment(ref gate.Waiting);
        try { await gate.Open.WaitAsync(context.CancellationToken); }
        finally { Interlocked.Decrement(ref gate.Waiting); }
        return item;
    }
}

/// <summary>One test's gate.</summary>
public sealed class Gate
{
    private static readonly ConcurrentDictionary<string, Gate> All = new();
    public static Gate Of(string tag) => All.GetOrAdd(tag, _ => new Gate());
    public static string NewTag() => "g" + Guid.NewGuid().ToString("N")[..10];

    public readonly SemaphoreSlim Open = new(0);
    public int Waiting;

    /// <summary>Waits until <paramref name="n"/> items are held (a condition, not a sleep: polled, bounded).</summary>
    public async Task HoldingAsync(int n)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref Waiting) < n)
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"the gate holds {Waiting} items, not {n}");
            await Task.Delay(10);
        }
    }

    public void Release(int n) => Open.Release(n);
}
