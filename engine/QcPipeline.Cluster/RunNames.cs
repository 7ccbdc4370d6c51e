namespace QcPipeline.Cluster;

/// <summary>The NATS names of one distributed run: its streams, subjects and consumers, from its id.</summary>
internal sealed record RunNames(string Run)
{
    /// <summary>The key-value bucket where coordinators announce their runs (and workers watch for them).</summary>
    public const string RunsBucket = "qcpipeline-runs";

    /// <summary>The work queue: one message per item.</summary>
    public string WorkStream => $"QC_WORK_{Run}";
    public string WorkSubject => $"qc.{Run}.work";

    /// <summary>The durable pull consumer all workers of the run share.</summary>
    public const string WorkConsumer = "workers";

    /// <summary>Results, persisted until the coordinator has recorded them.</summary>
    public string ResultStream => $"QC_RESULT_{Run}";
    public string ResultSubject => $"qc.{Run}.result";
    public const string ResultConsumer = "coordinator";

    /// <summary>Workers' notices to the coordinator: hello, claims, refusals.</summary>
    public string NoticeSubject => $"qc.{Run}.notice";

    /// <summary>JetStream's advisory when an item has been delivered max_deliver times without an ack.</summary>
    public string MaxDeliveriesAdvisory => $"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{WorkStream}.{WorkConsumer}";

    /// <summary>A new run id: the job's name, the time, and a random part (letters, digits, '-' and '_' only).</summary>
    public static string NewRunId(string job)
    {
        var name = new string(job.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').Take(40).ToArray());
        return $"{name}-{DateTime.UtcNow:yyyyMMddHHmmss}-{Convert.ToHexString(Guid.NewGuid().ToByteArray()[..3]).ToLowerInvariant()}";
    }
}
