using System.Collections.Concurrent;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;

namespace QcPipeline.TestKit;

public sealed class CollectOptions
{
    [Option("Name of the collection the outcomes go to (a test picks a fresh one, so tests running side by side do not mix).", Required = true)]
    public string Into { get; init; } = "";
}

/// <summary>Keeps every outcome that reaches the end of a test job (failed and skipped ones too), in a named
/// collection, so a test can check what arrived and how. Register it with <see cref="CollectSinkRegistration.AddCollect{T}"/>.</summary>
[Stage("test.collect", "Test sink: keeps the outcomes it sees.")]
public sealed class CollectSink<T> : SinkStage<T, CollectOptions> where T : IItem
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<Outcome<T>>> Collections = new();

    /// <summary>The outcomes collected under <paramref name="name"/>, in arrival order (empty before any).</summary>
    public static ConcurrentQueue<Outcome<T>> Get(string name) => Collections.GetOrAdd(name, _ => new());

    /// <summary>The values of the successful outcomes collected under <paramref name="name"/>.</summary>
    public static List<T> Values(string name) => Get(name).Where(o => o.Value is not null).Select(o => o.Value!).ToList();

    public override ValueTask ConsumeAsync(Outcome<T> item, ItemContext context)
    {
        Get(Options.Into).Enqueue(item);
        return ValueTask.CompletedTask;
    }
}

public static class CollectSinkRegistration
{
    /// <summary>Registers test.collect for items of type <typeparamref name="T"/>.</summary>
    public static StageRegistry AddCollect<T>(this StageRegistry registry) where T : IItem =>
        registry.Sink<CollectSink<T>, T, CollectOptions>();
}
