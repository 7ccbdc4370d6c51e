using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QcPipeline.SiteScan;

/// <summary>
/// Remembers each photo's GPS reading between runs, keyed by where it lives (host, path) and what it is (size,
/// modification time): a photo whose size or time changed is read again. One JSON file per host under the
/// cache folder, loaded on first use and rewritten at the end of the run through a temporary file and an
/// atomic rename, so a crash leaves the previous file whole. A file that cannot be read is ignored (with a
/// warning) and replaced.
/// </summary>
public sealed class PhotoCache
{
    /// <summary>Bump when the reading of a photo changes meaning, so older entries are not reused.</summary>
    public const int Format = 1;

    private static readonly TimeSpan Unused = TimeSpan.FromDays(30);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly string _dir;
    private readonly Action<string> _warn;
    private readonly Dictionary<string, Host> _hosts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public PhotoCache(string directory, Action<string> warn)
    {
        _dir = Path.Combine(directory, "gps-exif");
        _warn = warn;
    }

    /// <summary>Where the cache lives unless a job says: $XDG_CACHE_HOME/qcpipeline, else ~/.cache/qcpipeline.</summary>
    public static string DefaultDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg) ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "qcpipeline");
    }

    /// <summary>The file holding one host's entries.</summary>
    public string FileFor(string origin)
    {
        var safe = new string(origin.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray());
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin)))[..12];
        return Path.Combine(_dir, $"{(safe.Length > 60 ? safe[..60] : safe)}-{hash}.json");
    }

    public bool TryGet(string origin, string path, long size, DateTimeOffset modified, out GpsReading reading)
    {
        lock (_lock)
        {
            var host = Load(origin);
            if (host.Entries.TryGetValue(path, out var e) && e.Size == size && e.ModifiedTicks == modified.UtcTicks)
            {
                reading = e.Gps;
                return true;
            }
        }
        reading = null!;
        return false;
    }

    public void Put(string origin, string path, long size, DateTimeOffset modified, GpsReading reading)
    {
        lock (_lock)
        {
            var host = Load(origin);
            host.Entries[path] = new Entry(size, modified.UtcTicks, reading);
            host.Dirty = true;
        }
    }

    /// <summary>Writes every host with new entries (atomically), and drops cache files unused for 30 days.</summary>
    public void Save()
    {
        lock (_lock)
        {
            foreach (var (origin, host) in _hosts.Where(h => h.Value.Dirty))
            {
                try
                {
                    Directory.CreateDirectory(_dir);
                    var file = FileFor(origin);
                    var temp = $"{file}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
                    try
                    {
                        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                        {
                            JsonSerializer.Serialize(stream, new Stored(Format, origin, host.Entries), Json);
                            stream.Flush(flushToDisk: true); // on disk before the rename makes it the cache
                        }
                        File.Move(temp, file, overwrite: true);
                        host.Dirty = false;
                    }
                    finally { if (File.Exists(temp)) File.Delete(temp); }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _warn($"the GPS cache could not be written ({e.Message}); the next run reads these photos again");
                }
            }
            Prune();
        }
    }

    private Host Load(string origin)
    {
        if (_hosts.TryGetValue(origin, out var host)) return host;
        host = new Host();
        _hosts[origin] = host;
        var file = FileFor(origin);
        if (!File.Exists(file)) return host;
        try
        {
            using var stream = File.OpenRead(file);
            var stored = JsonSerializer.Deserialize<Stored>(stream, Json);
            if (stored is { Format: Format, Entries: not null } && stored.Origin == origin)
                foreach (var (path, e) in stored.Entries)
                    if (e?.Gps is not null) host.Entries[path] = e;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            _warn($"the GPS cache file {file} is unreadable and was ignored ({e.Message.ReplaceLineEndings(" ")})");
        }
        return host;
    }

    // Demo servers and one-off hosts leave files behind: drop those nobody has used for a month.
    private void Prune()
    {
        try
        {
            if (!Directory.Exists(_dir)) return;
            foreach (var f in new DirectoryInfo(_dir).EnumerateFiles("*.json"))
                if (DateTime.UtcNow - f.LastWriteTimeUtc > Unused) f.Delete();
            foreach (var f in new DirectoryInfo(_dir).EnumerateFiles("*.tmp-*"))
                if (DateTime.UtcNow - f.LastWriteTimeUtc > TimeSpan.FromDays(1)) f.Delete(); // left by a crash
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private sealed class Host
    {
        public Dictionary<string, Entry> Entries { get; } = new(StringComparer.Ordinal);
        public bool Dirty { get; set; }
    }

    private sealed record Entry(long Size, long ModifiedTicks, GpsReading Gps);

    private sealed record Stored(int Format, string Origin, Dictionary<string, Entry>? Entries);
}
