using QcPipeline.Core.Options;

namespace QcPipeline.Cluster;

/// <summary>The job's cluster: section — which stages may run on workers, and how items are delivered to them.</summary>
public sealed class ClusterOptions : IValidatedOptions
{
    [Option("NATS server of the cluster, e.g. nats://queue.example:4222 (--cluster overrides it). Empty: the job runs on this machine only.")]
    public string Url { get; init; } = "";

    [Option("The contiguous stages that workers run, e.g. [fetch, gps]: items leave at the first and come back from the last. Sources and sinks always run here.")]
    public string[] Stages { get; init; } = [];

    [Option("Items sent to workers and not yet back, at most (the coordinator's bound; each worker holds no more than its own capacity).", Min = 1, Max = 100_000)]
    public int MaxOutstanding { get; init; } = 1000;

    [Option("A worker that neither finishes an item nor reports progress on it for this long is taken to be gone: the item goes to another worker.", MinDuration = "500ms", MaxDuration = "1h")]
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    [Option("Deliveries of one item at most: an item whose worker died this many times is dead-lettered (dead-letter.jsonl) with its reason.", Min = 1, Max = 100)]
    public int MaxDeliver { get; init; } = 3;

    /// <inheritdoc/>
    public void Validate(OptionsCheck check)
    {
        if (Url.Length > 0 && !ClusterUrl.IsValid(Url, out var problem))
            check.Error("url", $"cluster url '{Url}': {problem}");
        if (check.IsSet("url") && Url.Length > 0 && Stages.Length == 0)
            check.Error("stages", "cluster: names no stages to run on workers (e.g. stages: [fetch, gps])");
    }
}

/// <summary>Checks a NATS server address as users write it.</summary>
public static class ClusterUrl
{
    /// <summary>True for nats://HOST[:PORT] (several, comma-separated, for a NATS cluster).</summary>
    public static bool IsValid(string url, out string problem)
    {
        problem = "";
        foreach (var part in url.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls") || uri.Host.Length == 0)
            {
                problem = $"'{part}' is not a NATS address (nats://HOST:4222)";
                return false;
            }
            if (uri.UserInfo.Length > 0)
            {
                problem = "credentials do not belong in the address (it is printed and recorded)";
                return false;
            }
        }
        return true;
    }
}
