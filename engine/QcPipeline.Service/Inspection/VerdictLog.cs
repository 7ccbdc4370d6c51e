using System.Text.Json;
using QcPipeline.Inspection;

namespace QcPipeline.Service.Inspection;

/// <summary>What the page shows of the inspections: totals by verdict and the latest few, kept small.</summary>
public sealed class VerdictLog
{
    /// <summary>Latest verdicts kept.</summary>
    public const int Kept = 12;

    private readonly object _gate = new();
    private readonly Queue<LatestVerdict> _latest = new();
    private long _pass, _fail, _error, _refused, _version;

    /// <summary>One inspection as the page lists it.</summary>
    public sealed record LatestVerdict(DateTimeOffset Time, string Product, string Image, string Verdict, double? Ms, int Defects, int Status);

    /// <summary>Changes with every inspection (the page's summary is sent when it has changed).</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Notes one answered inspection from its results line (or its error).</summary>
    public void Add(string product, string image, string? record, int status)
    {
        RoiStatus? verdict = null;
        double? ms = null;
        var defects = 0;
        if (record is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(record);
                var root = doc.RootElement;
                if (root.TryGetProperty("verdict", out var v) && v.ValueKind == JsonValueKind.String) verdict = VerdictSink.Parse(v.GetString());
                if (root.TryGetProperty("ms", out var m) && m.ValueKind == JsonValueKind.Number) ms = m.GetDouble();
                if (root.TryGetProperty("defects", out var d) && d.ValueKind == JsonValueKind.Array) defects = d.GetArrayLength();
            }
            catch (JsonException) { } // a line the sink wrote is JSON; one that is not counts as an error below
        }
        lock (_gate)
        {
            switch (verdict)
            {
                case RoiStatus.Pass: _pass++; break;
                case RoiStatus.Fail: _fail++; break;
                default: if (record is null) _refused++; else _error++; break;
            }
            var shown = record is null ? "refused" : VerdictSink.Name(verdict ?? RoiStatus.Error);
            _latest.Enqueue(new LatestVerdict(DateTimeOffset.UtcNow, product, image, shown, ms, defects, status));
            while (_latest.Count > Kept) _latest.Dequeue();
        }
        Interlocked.Increment(ref _version);
    }

    /// <summary>Totals and the latest verdicts, newest first.</summary>
    public object Snapshot()
    {
        lock (_gate)
            return new { Pass = _pass, Fail = _fail, Error = _error, Refused = _refused, Latest = _latest.Reverse().ToList() };
    }
}
