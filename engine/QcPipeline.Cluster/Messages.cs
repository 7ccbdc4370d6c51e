using System.Text.Json;
using System.Text.Json.Serialization;
using QcPipeline.Core.Runtime;

namespace QcPipeline.Cluster;

/// <summary>
/// What a coordinator announces in the runs bucket (key: the run id), and all a worker needs to take part: the
/// job as it runs (after --set and ${VAR}; secrets only as their env:/file: references), the stages workers run,
/// and what each worker must have of its own (the secrets and files those stages use).
/// </summary>
internal sealed record RunAnnouncement
{
    public required string Run { get; init; }
    public required string Job { get; init; }
    public required string Document { get; init; }

    /// <summary>The job file on the coordinator, absolute and relative to its working folder: relative paths in the
    /// job start at its folder, which a worker finds in the same place or below its own working folder.</summary>
    public required string JobFile { get; init; }
    public required string JobFileRelative { get; init; }
    public required string[] Stages { get; init; }
    public required IReadOnlyList<Requirement> Needs { get; init; }
    public required string Coordinator { get; init; }
    public required double AckWaitMs { get; init; }

    /// <summary>--no-cache on the coordinator: workers neither read nor write their caches either.</summary>
    public bool NoCache { get; init; }

    /// <summary>Running, or stopping once the coordinator stops taking items (Ctrl+C).</summary>
    public AnnouncementState State { get; init; } = AnnouncementState.Running;
}

/// <summary>Where an announced run stands (on the wire: "running", "stopping").</summary>
public enum AnnouncementState
{
    /// <summary>The coordinator takes items and workers may join.</summary>
    Running,
    /// <summary>The coordinator stops taking items: workers finish what they hold.</summary>
    Stopping,
}

/// <summary>Something a worker must have of its own for the job: a secret (by its env:/file: reference) or a file,
/// named by the stage and option that use it.</summary>
internal sealed record Requirement(RequirementKind Kind, string Stage, string Option, string Source)
{

    /// <summary>"env:SFTP_PASSWORD (stage 'fetch', connection.password)".</summary>
    public override string ToString() => $"{Source} (stage '{Stage}', {Option})";
}

/// <summary>What a worker must have (on the wire: "secret", "path").</summary>
public enum RequirementKind
{
    /// <summary>A secret its env:/file: reference resolves on the worker.</summary>
    Secret,
    /// <summary>A file or folder that exists on the worker.</summary>
    Path,
}

/// <summary>A worker's word to the coordinator of a run (core NATS; losing one costs nothing but detail).</summary>
internal sealed record Notice
{
    public required NoticeKind Kind { get; init; }
    public required string Worker { get; init; }
    public required string Host { get; init; }
    public int Capacity { get; init; }
    public long Item { get; init; }
    public ulong Delivered { get; init; }
    public string? Reason { get; init; }
}

/// <summary>What a notice says (on the wire: "hello", "claim", "refuse").</summary>
public enum NoticeKind
{
    /// <summary>The worker joined the run.</summary>
    Hello,
    /// <summary>The worker took an item.</summary>
    Claim,
    /// <summary>The worker cannot take part (the reason says why).</summary>
    Refuse,
}

/// <summary>One item on the work queue.</summary>
internal sealed record WorkBody(long Id, string Key, string Type, JsonElement Item);

/// <summary>One stage's part in an item's trip, as sent back.</summary>
internal sealed record StepBody(string Stage, double Ms, StepOutcome Outcome, int Attempts);

/// <summary>One item's outcome, as a worker sends it back.</summary>
internal sealed record ResultBody
{
    public required long Id { get; init; }
    public required string Worker { get; init; }
    public required string Host { get; init; }
    public ulong Delivered { get; init; }

    /// <summary>Processed, failed, skipped or cancelled.</summary>
    public required SegmentEnd End { get; init; }
    public string? Type { get; init; }
    public JsonElement? Value { get; init; }
    public string? FailedStage { get; init; }
    public string? Reason { get; init; }
    public int Attempts { get; init; }

    /// <summary>The item's last span on the worker (W3C traceparent), for links from the stages after.</summary>
    public string? Span { get; init; }
    public IReadOnlyList<StepBody> Steps { get; init; } = [];
}

/// <summary>The JSON options of every cluster message.</summary>
public static class Wire
{
    /// <summary>snake_case names, nulls left out: what coordinator and workers both read and write.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // The one place enums get their wire names: ItemsFailed is "items_failed", numbers are refused.
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };

    /// <summary>A message as UTF-8 JSON, ready to publish.</summary>
    public static byte[] Encode<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Json);

    /// <summary>A message read back; throws <see cref="JsonException"/> on malformed or empty JSON.</summary>
    public static T Decode<T>(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<T>(json, Json) ?? throw new JsonException($"empty {typeof(T).Name}");
}
