using System.Net;

namespace QcPipeline.Service;

/// <summary>How `serve` was asked to run: where it listens, who may call it, its folders and its limits.</summary>
public sealed class ServiceSettings
{
    /// <summary>The job whose compiled pipeline stays warm and answers inspections.</summary>
    public required string JobFile { get; init; }

    /// <summary>--set overrides of that job (as for a run).</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>The address to listen on: 127.0.0.1 unless told otherwise.</summary>
    public string Bind { get; init; } = "127.0.0.1";

    /// <summary>The port (0: any free one; the server says which).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The bearer token callers must send (QC_API_TOKEN); required when listening beyond loopback.</summary>
    public string? Token { get; init; }

    /// <summary>Where the server writes: its warm pipelines' outputs and one folder per batch run.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>The folder the old call (`/api/session/{id}/inspect`) names its images in; nothing outside it is read.</summary>
    public string? ImagesDirectory { get; init; }

    /// <summary>A folder of product files (NAME.yaml): each gets its own warm pipeline, selected per request.</summary>
    public string? ProductsDirectory { get; init; }

    /// <summary>The jobs `POST /v1/runs` may start (NAME.yaml in it); default: the served job's folder.</summary>
    public string? JobsDirectory { get; init; }

    /// <summary>The largest request body (an image), in bytes.</summary>
    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>Inspections admitted at once (being uploaded, queued or checked); beyond that the answer is 503.</summary>
    public int MaxPending { get; init; } = DefaultMaxPending;

    /// <summary>Batch runs at once; beyond that `POST /v1/runs` answers 503.</summary>
    public int MaxRuns { get; init; } = DefaultMaxRuns;

    /// <summary>32 MiB: a 20-megapixel PNG fits.</summary>
    public const long DefaultMaxBodyBytes = 32L << 20;

    /// <summary>Enough for 64 clients each with a request in flight.</summary>
    public const int DefaultMaxPending = 128;

    /// <summary>Site scans are heavy: two at once by default.</summary>
    public const int DefaultMaxRuns = 2;

    /// <summary>True when <see cref="Bind"/> is a loopback address (or localhost).</summary>
    public bool IsLoopback => Bind == "localhost" || (IPAddress.TryParse(Bind, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Each problem with the settings, as one line.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Bind != "localhost" && !IPAddress.TryParse(Bind, out _))
            problems.Add($"--bind {Bind}: not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1)");
        else if (!IsLoopback && string.IsNullOrEmpty(Token))
            problems.Add($"--bind {Bind} listens beyond this machine: set QC_API_TOKEN to the bearer token callers must send");
        if (Port is < 0 or > 65535) problems.Add($"--port {Port}: not a port (0-65535)");
        if (Token is { Length: > 0 and < 16 }) problems.Add("QC_API_TOKEN is too short: use at least 16 characters");
        if (MaxBodyBytes < 1024) problems.Add("--max-body: at least 1 KiB");
        if (MaxPending < 1) problems.Add("--max-pending: at least 1");
        if (MaxRuns < 1) problems.Add("--max-runs: at least 1");
        foreach (var (flag, dir) in new[] { ("--images", ImagesDirectory), ("--products", ProductsDirectory), ("--jobs", JobsDirectory) })
            if (dir is not null && !Directory.Exists(dir)) problems.Add($"{flag} {dir}: no such folder");
        return problems;
    }
}
