using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using QcPipeline.Core.Outputs;

namespace QcPipeline.SiteScan;

/// <summary>
/// Remembers each photo's GPS reading between runs, keyed by where it lives (host, path) and what it is (size,
/// modification time): a photo whose size or time changed is read again. One file per host under the cache
/// folder, a JSON line per photo. Memory stays small however large the site: only an index (a hash of the path and
/// where its line is: sixteen bytes a photo) is kept, a reading is parsed when it is asked for, and new readings go to a
/// side file as they come. At the end of the run both are merged into a new file that replaces the old one by an
/// atomic rename, so a crash leaves the previous file whole. Every entry read back is checked
/// (<see cref="CacheEntryCheck"/>): one out of range or unreadable is ignored, with a warning, and the photo read again.
/// </summary>
internal sealed class PhotoCache : IDisposable
{
    /// <summary>Bump when the reading of a photo changes meaning, so older entries are not reused.</summary>
    public const int Format = 2;

    private const int MaxLineBytes = 64 * 1024;
    private static readonly TimeSpan Unused = TimeSpan.FromDays(30);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
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
        return Path.Combine(_dir, $"{(safe.Length > 60 ? safe[..60] : safe)}-{hash}.jsonl");
    }

    public bool TryGet(string origin, string path, long size, DateTimeOffset modified, out GpsReading reading)
    {
        reading = null!;
        lock (_lock)
        {
            var host = Load(origin);
            var key = Key(path);
            if (!host.Index.TryGetValue(key, out var slot)) return false;
            var line = host.ReadLine(slot);
            Entry? entry = null;
            string? problem;
            try
            {
                entry = JsonSerializer.Deserialize<Entry>(line, Json);
                if (entry is null || entry.Path != path) return false; // another path with the same hash
                if (entry.Size != size || entry.ModifiedTicks != modified.UtcTicks) return false; // the file changed: read it again
                problem = CacheEntryCheck.Problem(entry.Gps);
            }
            catch (JsonException e) { problem = "unreadable: " + e.Message.ReplaceLineEndings(" "); }
            if (problem is null)
            {
                reading = entry!.Gps;
                return true;
            }
            host.Reject($"{path}: {problem}");
            host.Index.Remove(key);
            return false;
        }
    }

    public void Put(string origin, string path, long size, DateTimeOffset modified, GpsReading reading)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(new Entry(path, size, modified.UtcTicks, reading), Json);
        lock (_lock)
        {
            var host = Load(origin);
            try
            {
                var offset = host.Append(_dir, line);
                host.Index[Key(path)] = Slot.Pack(true, offset, line.Length);
                host.Dirty = true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (!host.AppendFailed) _warn($"the GPS cache cannot take new readings ({e.Message}); the next run reads these photos again");
                host.AppendFailed = true;
            }
        }
    }

    /// <summary>Writes every host with new entries (atomically), and drops cache files unused for 30 days.</summary>
    public void Save()
    {
        lock (_lock)
        {
            foreach (var (origin, host) in _hosts)
            {
                if (host.Rejected > 0)
                    _warn($"{host.Rejected} cached GPS reading{(host.Rejected == 1 ? " was" : "s were")} out of range or unreadable and ignored "
                          + $"(first: {host.FirstRejection}); those photos were read again");
                host.Rejected = 0;
                if (!host.Dirty) continue;
                try
                {
                    Directory.CreateDirectory(_dir);
                    Write(origin, host);
                    host.Dirty = false;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _warn($"the GPS cache could not be written ({e.Message}); the next run reads these photos again");
                }
            }
            Prune();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var host in _hosts.Values) host.Dispose();
            _hosts.Clear();
        }
    }

    // The new file: the header, the stored lines still current, then the new ones, on disk before the rename makes
    // it the cache.
    private static void Write(string origin, Host host) => AtomicFile.Write(host.File, output =>
    {
        output.Write(JsonSerializer.SerializeToUtf8Bytes(new Header(Format, origin), Json));
        output.WriteByte((byte)'\n');
        foreach (var (added, stream) in new[] { (false, host.Stored), (true, host.Added) })
        {
            if (stream is null) continue;
            stream.Position = 0;
            foreach (var (offset, line) in CacheLines.Read(stream, MaxLineBytes))
            {
                if (line is null || CacheLines.PathOf(line) is not { } path) continue;
                if (host.Index.TryGetValue(Key(path), out var slot) && Slot.Added(slot) == added && Slot.Offset(slot) == offset)
                {
                    output.Write(line);
                    output.WriteByte((byte)'\n');
                }
            }
        }
    });

    private Host Load(string origin)
    {
        if (_hosts.TryGetValue(origin, out var host)) return host;
        host = new Host(FileFor(origin));
        _hosts[origin] = host;
        if (!File.Exists(host.File)) return host;
        try
        {
            var stream = new FileStream(host.File, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
            var first = true;
            foreach (var (offset, line) in CacheLines.Read(stream, MaxLineBytes))
            {
                if (first)
                {
                    first = false;
                    var header = line is null ? null : JsonSerializer.Deserialize<Header>(line, Json);
                    if (header is not { Format: Format } || header.Origin != origin) { stream.Dispose(); return host; } // another format: rewritten at the end
                    host.Stored = stream;
                    continue;
                }
                if (line is null) { host.Reject($"a line at byte {offset} is longer than {MaxLineBytes} bytes"); continue; }
                if (CacheLines.Index(line) is { } e) host.Index[Key(e.Path)] = Slot.Pack(false, offset, line.Length);
                else host.Reject($"the line at byte {offset} is unreadable");
            }
            if (first) stream.Dispose();
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            host.Stored?.Dispose();
            host.Stored = null;
            host.Index.Clear();
            _warn($"the GPS cache file {host.File} is unreadable and was ignored ({e.Message.ReplaceLineEndings(" ")})");
        }
        return host;
    }

    // Demo servers and one-off hosts leave files behind: drop those nobody has used for a month.
    private void Prune()
    {
        try
        {
            if (!Directory.Exists(_dir)) return;
            foreach (var f in new DirectoryInfo(_dir).EnumerateFiles("*.json*"))
                if (DateTime.UtcNow - f.LastWriteTimeUtc > Unused) f.Delete();
            foreach (var f in new DirectoryInfo(_dir).EnumerateFiles("*.tmp-*"))
                if (DateTime.UtcNow - f.LastWriteTimeUtc > TimeSpan.FromDays(1)) f.Delete(); // left by a crash
        }
        // Tidying is best effort: a file that cannot be listed or deleted now is tried again by the next run.
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static ulong Key(string path) => XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(path));

    /// <summary>Where one entry's line is, in one long (eight bytes an entry): whether in this run's side file or the
    /// stored one (bit 63), its offset (bits 17–62) and its length (bits 0–16, lines are at most 64 KiB).</summary>
    private static class Slot
    {
        public static long Pack(bool added, long offset, int length) => (added ? long.MinValue : 0) | (offset << 17) | (uint)length;
        public static bool Added(long slot) => slot < 0;
        public static long Offset(long slot) => (slot & long.MaxValue) >> 17;
        public static int Length(long slot) => (int)(slot & 0x1FFFF);
    }

    private sealed class Host(string file) : IDisposable
    {
        public string File { get; } = file;
        public Dictionary<ulong, long> Index { get; } = [];
        public FileStream? Stored { get; set; }
        public FileStream? Added { get; private set; }
        public bool Dirty { get; set; }
        public bool AppendFailed { get; set; }
        public int Rejected { get; set; }
        public string? FirstRejection { get; private set; }

        public void Reject(string what)
        {
            FirstRejection ??= what;
            Rejected++;
            Dirty = true; // rewrite the file without it
        }

        public byte[] ReadLine(long slot)
        {
            var buffer = new byte[Slot.Length(slot)];
            RandomAccess.Read((Slot.Added(slot) ? Added! : Stored!).SafeFileHandle, buffer, Slot.Offset(slot));
            return buffer;
        }

        public long Append(string dir, byte[] line)
        {
            if (Added is null)
            {
                System.IO.Directory.CreateDirectory(dir);
                Added = new FileStream(AtomicFile.TempFor(File), FileMode.CreateNew, FileAccess.ReadWrite,
                    FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
            }
            Added.Seek(0, SeekOrigin.End);
            var offset = Added.Position;
            Added.Write(line);
            Added.WriteByte((byte)'\n');
            Added.Flush(); // readable at its offset by TryGet
            return offset;
        }

        public void Dispose()
        {
            Stored?.Dispose();
            Added?.Dispose();
        }
    }

    private sealed record Header(int Format, string Origin);

    internal sealed record Entry(string Path, long Size, long ModifiedTicks, GpsReading Gps);
}
