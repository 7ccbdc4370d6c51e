using System.Text.Json;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;

namespace QcPipeline.Cluster;

/// <summary>
/// Items and outcomes as message bodies, through the item types the families registered as wire items. An
/// item is sent as exactly its own registered type (never as a base type, which would silently drop what the
/// subtype carries); one of a type nobody registered is an error, said as such.
/// </summary>
internal sealed class ItemWire(StageRegistry registry)
{
    private readonly Dictionary<string, WireType> _byName = registry.WireTypes.Values.ToDictionary(w => w.Name, StringComparer.Ordinal);

    /// <summary>The JSON of an item with the name of its type.</summary>
    public (string Type, JsonElement Json) Encode(IItem item)
    {
        if (!registry.WireTypes.TryGetValue(item.GetType(), out var wire))
            throw new ItemWireException($"items of type {item.GetType().Name} cannot be sent to other machines: no family registers it as a wire item");
        using var doc = JsonDocument.Parse(wire.Encode(item));
        return (wire.Name, doc.RootElement.Clone());
    }

    /// <summary>The item a message carries.</summary>
    public IItem Decode(string type, JsonElement json)
    {
        if (!_byName.TryGetValue(type, out var wire))
            throw new ItemWireException($"this machine knows no item type '{type}' (is it running the same version of qcpipeline?)");
        try { return wire.Decode(JsonSerializer.SerializeToUtf8Bytes(json)); }
        catch (JsonException e) { throw new ItemWireException($"a '{type}' item could not be read: {e.Message}"); }
    }

    /// <summary>The work message for one request.</summary>
    public byte[] Work(SegmentRequest request)
    {
        var (type, json) = Encode(request.Item);
        return Wire.Encode(new WorkBody(request.Id, request.Key, type, json));
    }

    /// <summary>The request a work message carries.</summary>
    public SegmentRequest Request(WorkBody body, System.Diagnostics.ActivityContext parent) =>
        new(body.Id, body.Key, Decode(body.Type, body.Item), parent);

    /// <summary>An outcome as the result message of a worker.</summary>
    public ResultBody Result(long id, SegmentOutcome o, string worker, string host, ulong delivered)
    {
        string? type = null;
        JsonElement? value = null;
        if (o.End == SegmentEnd.Processed && o.Value is { } v) (type, value) = Encode(v);
        return new ResultBody
        {
            Id = id, Worker = worker, Host = host, Delivered = delivered, End = o.End, Type = type, Value = value,
            FailedStage = o.Failure?.Stage, Reason = o.Failure?.Reason ?? o.SkipReason, Attempts = o.Failure?.Attempts ?? 0,
            Span = TraceParent.Format(o.Span),
            Steps = o.Steps.Select(s => new StepBody(s.Stage, Math.Round(s.Ms, 3), s.Outcome, s.Attempts)).ToList(),
        };
    }

    /// <summary>The outcome a result message carries (<paramref name="worker"/>: its lane in the timeline).</summary>
    public SegmentOutcome Outcome(ResultBody r, string key, int worker)
    {
        var steps = r.Steps.Select(s => new SegmentStep(s.Stage, s.Ms, s.Outcome, s.Attempts)).ToList();
        var span = TraceParent.Parse(r.Span);
        return r.End switch
        {
            SegmentEnd.Processed when r is { Type: { } t, Value: { } json } => new SegmentOutcome
            {
                End = SegmentEnd.Processed, Value = Decode(t, json), Span = span, Steps = steps, Worker = worker,
                Failure = r.FailedStage is { } stage ? new Failure(stage, key, r.Reason ?? "", Math.Max(1, r.Attempts)) : null,
                SkipReason = r.FailedStage is null ? r.Reason : null,
            },
            SegmentEnd.Skipped => new SegmentOutcome { End = SegmentEnd.Skipped, SkipReason = r.Reason, Span = span, Steps = steps, Worker = worker },
            SegmentEnd.Cancelled => new SegmentOutcome { End = SegmentEnd.Cancelled, Steps = steps, Worker = worker },
            _ => new SegmentOutcome
            {
                End = SegmentEnd.Failed, Span = span, Steps = steps, Worker = worker,
                Failure = new Failure(r.FailedStage ?? "cluster", key, r.Reason ?? "failed on a worker", Math.Max(1, r.Attempts)),
            },
        };
    }
}

/// <summary>An item that cannot be put into a message or read from one.</summary>
public sealed class ItemWireException(string message) : Exception(message);
