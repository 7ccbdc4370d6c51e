using QcPipeline.Core.Options;

namespace QcPipeline.Cluster;

/// <summary>
/// The job's cluster: section: which contiguous stages may run on other machines (workers), and how items are
/// delivered to them over NATS JetStream (at least once, each acked when its result is back). Registered by
/// <see cref="ClusterSection"/>; the engine runs the stages through <see cref="ClusterCoordinator"/>, its segment executor.
/// </summary>
public sealed class ClusterOptions : IValidatedOptions
{
    /// <summary>The cluster's message server, e.g. nats://queue.example:4222 (--cluster overrides it).</summary>
    [Option("The cluster's message server, e.g. nats://queue.example:4222 (--cluster overrides it). Empty: the job runs on this machine only.")]
    public string Url { get; init; } = "";

    /// <summary>The contiguous stages that workers run.</summary>
    [Option("The contiguous stages that workers run, e.g. [fetch, gps]: items leave at the first and come back from the last. Sources and sinks always run here.")]
    public string[] Stages { get; init; } = [];

    /// <summary>Items out with workers at most.</summary>
    [Option("Items sent to workers and not yet back, at most (the coordinator's bound; each worker holds no more than its own capacity).", Min = 1, Max = 100_000)]
    public int MaxOutstanding { get; init; } = 1000;

    /// <summary>How long a silent worker keeps an item.</summary>
    [Option("A worker that neither finishes an item nor reports progress on it for this long is taken to be gone: the item goes to another worker.", MinDuration = "500ms", MaxDuration = "1h")]
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries of one item at most.</summary>
    [Option("Deliveries of one item at most: an item whose worker died this many times is dead-lettered (dead-letter.jsonl) with its reason.", Min = 1, Max = 100)]
    public int MaxDeliver { get; init; } = 3;

    /// <inheritdoc/>
    public void Validate(OptionsCheck check)
    {
        if (Url.Length > 0 && Uri.TryCreate(Url.Split(',')[0].Trim(), UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
            check.Error("url", "cluster.url: credentials do not belong in the address (it is printed and recorded)");
        if (check.IsSet("url") && Url.Length > 0 && Stages.Length == 0)
            check.Error("stages", "cluster: names no stages to run on workers (e.g. stages: [fetch, gps])");
    }
}
