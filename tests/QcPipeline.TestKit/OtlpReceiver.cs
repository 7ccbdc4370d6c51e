using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;

namespace QcPipeline.TestKit;

public sealed record OtlpEvent(string Name, Dictionary<string, object?> Attributes);

public sealed record OtlpSpan(string TraceId, string SpanId, string? ParentSpanId, string Name, ulong StartNs, ulong EndNs,
    Dictionary<string, object?> Attributes, List<OtlpEvent> Events, List<(string TraceId, string SpanId)> Links,
    int StatusCode, string StatusMessage, Dictionary<string, object?> Resource)
{
    public object? this[string key] => Attributes.GetValueOrDefault(key);
    public string Key => (string)Attributes["qc.item"]!;
}

/// <summary>
/// A real OTLP/HTTP receiver on 127.0.0.1: takes protobuf POSTs on /v1/traces and /v1/metrics and decodes
/// them field by field with Google.Protobuf's CodedInputStream (the OTLP .proto field numbers, no generated code).
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    public ConcurrentQueue<OtlpSpan> Spans { get; } = new();
    public ConcurrentDictionary<string, int> MetricNames { get; } = new();
    public ConcurrentQueue<string> Paths { get; } = new();

    public OtlpReceiver()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";

    public List<OtlpSpan> SpansOf(string traceId) => Spans.Where(s => s.TraceId == traceId).ToList();

    /// <summary>A port nothing listens on (for the unreachable-collector tests).</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try
            {
                using var body = new MemoryStream();
                var input = ctx.Request.Headers["Content-Encoding"] == "gzip"
                    ? new GZipStream(ctx.Request.InputStream, CompressionMode.Decompress) : ctx.Request.InputStream;
                await input.CopyToAsync(body);
                var path = ctx.Request.Url!.AbsolutePath;
                Paths.Enqueue(path);
                var bytes = ByteString.CopyFrom(body.ToArray());
                if (path == "/v1/traces") DecodeTraces(bytes);
                else if (path == "/v1/metrics") DecodeMetrics(bytes);
                ctx.Response.StatusCode = path is "/v1/traces" or "/v1/metrics" ? 200 : 404;
                ctx.Response.ContentType = "application/x-protobuf";
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or IOException)
            {
                ctx.Response.StatusCode = 400;
            }
            ctx.Response.Close();
        }
    }

    // Calls `field` for each field of a message; fields it does not read are skipped.
    private static void Fields(ByteString message, Func<int, CodedInputStream, bool> field)
    {
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
            if (!field(WireFormat.GetTagFieldNumber(tag), input)) input.SkipLastField();
    }

    private void DecodeTraces(ByteString request)
    {
        // ExportTraceServiceRequest{1: ResourceSpans{1: Resource, 2: ScopeSpans{1: scope, 2: Span}}}
        Fields(request, (f, s) =>
        {
            if (f != 1) return false;
            var resourceSpans = s.ReadBytes();
            var resource = new Dictionary<string, object?>();
            var scopes = new List<ByteString>();
            Fields(resourceSpans, (g, r) =>
            {
                if (g == 1) { Fields(r.ReadBytes(), (h, a) => { if (h != 1) return false; var (k, v) = KeyValue(a.ReadBytes()); resource[k] = v; return true; }); return true; }
                if (g == 2) { scopes.Add(r.ReadBytes()); return true; }
                return false;
            });
            foreach (var scope in scopes)
                Fields(scope, (g, r) => { if (g != 2) return false; Spans.Enqueue(Span(r.ReadBytes(), resource)); return true; });
            return true;
        });
    }

    private void DecodeMetrics(ByteString request)
    {
        // ExportMetricsServiceRequest{1: ResourceMetrics{2: ScopeMetrics{2: Metric{1: name}}}}
        Fields(request, (f, s) =>
        {
            if (f != 1) return false;
            Fields(s.ReadBytes(), (g, r) =>
            {
                if (g != 2) return false;
                Fields(r.ReadBytes(), (h, m) =>
                {
                    if (h != 2) return false;
                    Fields(m.ReadBytes(), (i, n) =>
                    {
                        if (i != 1) return false;
                        MetricNames.AddOrUpdate(n.ReadString(), 1, (_, c) => c + 1);
                        return true;
                    });
                    return true;
                });
                return true;
            });
            return true;
        });
    }

    private static OtlpSpan Span(ByteString bytes, Dictionary<string, object?> resource)
    {
        string traceId = "", spanId = "", name = "", statusMessage = "";
        string? parent = null;
        ulong start = 0, end = 0;
        var statusCode = 0;
        var attributes = new Dictionary<string, object?>();
        var events = new List<OtlpEvent>();
        var links = new List<(string, string)>();
        Fields(bytes, (f, s) =>
        {
            switch (f)
            {
                case 1: traceId = Hex(s.ReadBytes()); return true;
                case 2: spanId = Hex(s.ReadBytes()); return true;
                case 4: var p = s.ReadBytes(); parent = p.IsEmpty ? null : Hex(p); return true;
                case 5: name = s.ReadString(); return true;
                case 7: start = s.ReadFixed64(); return true;
                case 8: end = s.ReadFixed64(); return true;
                case 9: var (k, v) = KeyValue(s.ReadBytes()); attributes[k] = v; return true;
                case 11: events.Add(Event(s.ReadBytes())); return true;
                case 13: links.Add(Link(s.ReadBytes())); return true;
                case 15:
                    Fields(s.ReadBytes(), (g, st) =>
                    {
                        if (g == 2) { statusMessage = st.ReadString(); return true; }
                        if (g == 3) { statusCode = st.ReadEnum(); return true; }
                        return false;
                    });
                    return true;
                default: return false;
            }
        });
        return new OtlpSpan(traceId, spanId, parent, name, start, end, attributes, events, links, statusCode, statusMessage, resource);
    }

    private static OtlpEvent Event(ByteString bytes)
    {
        var name = "";
        var attributes = new Dictionary<string, object?>();
        Fields(bytes, (f, s) =>
        {
            if (f == 2) { name = s.ReadString(); return true; }
            if (f == 3) { var (k, v) = KeyValue(s.ReadBytes()); attributes[k] = v; return true; }
            return false;
        });
        return new OtlpEvent(name, attributes);
    }

    private static (string, string) Link(ByteString bytes)
    {
        string traceId = "", spanId = "";
        Fields(bytes, (f, s) =>
        {
            if (f == 1) { traceId = Hex(s.ReadBytes()); return true; }
            if (f == 2) { spanId = Hex(s.ReadBytes()); return true; }
            return false;
        });
        return (traceId, spanId);
    }

    private static (string Key, object? Value) KeyValue(ByteString bytes)
    {
        string key = "";
        object? value = null;
        Fields(bytes, (f, s) =>
        {
            if (f == 1) { key = s.ReadString(); return true; }
            if (f == 2) { value = AnyValue(s.ReadBytes()); return true; }
            return false;
        });
        return (key, value);
    }

    private static object? AnyValue(ByteString bytes)
    {
        object? value = null;
        Fields(bytes, (f, s) =>
        {
            switch (f)
            {
                case 1: value = s.ReadString(); return true;
                case 2: value = s.ReadBool(); return true;
                case 3: value = s.ReadInt64(); return true;
                case 4: value = s.ReadDouble(); return true;
                case 5:
                    var list = new List<object?>();
                    Fields(s.ReadBytes(), (g, a) => { if (g != 1) return false; list.Add(AnyValue(a.ReadBytes())); return true; });
                    value = list;
                    return true;
                case 7: value = s.ReadBytes().ToByteArray(); return true;
                default: return false;
            }
        });
        return value;
    }

    private static string Hex(ByteString b) => Convert.ToHexStringLower(b.Span);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
