using System.Diagnostics;

namespace QcPipeline.Cluster;

/// <summary>W3C trace context (the traceparent header) for spans that continue on another machine.</summary>
internal static class TraceParent
{
    public const string Header = "traceparent";

    /// <summary>"00-TRACE-SPAN-FLAGS", or null for no span.</summary>
    public static string? Format(ActivityContext c) => c == default ? null
        : $"00-{c.TraceId.ToHexString()}-{c.SpanId.ToHexString()}-{((c.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}";

    /// <summary>The context a traceparent names (remote), or default.</summary>
    public static ActivityContext Parse(string? header) =>
        header is not null && ActivityContext.TryParse(header, null, isRemote: true, out var c) ? c : default;
}
