using System.Text.Json;

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
        string verdict = "error";
        double? ms = null;
        var defects = 0;
        if (record is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(record);
                var root = doc.RootElement;
                verdict = root.TryGetProperty("verdict", out var v) ? v.GetString() ?? "error" : "error";
                if (root.TryGetProperty("ms", out var m) && m.ValueKind == JsonValueKind.Number) ms = m.GetDouble();
                if (root.TryGetProperty("defects", out var d) && d.ValueKind == JsonValueKind.Array) defects = d.GetArrayLength();
            }
            catch (JsonException) { }
        }
        lock (_gate)
        {
            switch (verdict)
            {
                case "pass": _pass++; break;
                case "fail": _fail++; break;
                default: if (record is null) _refused++; else _error++; break;
            }
            _latest.Enqueue(new LatestVerdict(DateTimeOffset.UtcNow, product, image, record is null ? "refused" : verdict, ms, defects, status));
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
