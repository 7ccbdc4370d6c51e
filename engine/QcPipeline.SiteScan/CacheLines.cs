using System.Buffers;
using System.Text.Json;

namespace QcPipeline.SiteScan;

/// <summary>The photo cache's file format at the byte level: lines of JSON, and the few fields of an entry's line
/// that its index needs (read without parsing the reading itself).</summary>
internal static class CacheLines
{
    /// <summary>Each line's offset and bytes (without the newline); null bytes for a line longer than <paramref name="maxBytes"/>.</summary>
    public static IEnumerable<(long Offset, byte[]? Line)> Read(Stream stream, int maxBytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var line = new MemoryStream();
            long offset = stream.Position, lineStart = offset;
            var tooLong = false;
            int n;
            while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                var start = 0;
                for (var i = 0; i < n; i++)
                {
                    if (buffer[i] != (byte)'\n') continue;
                    if (!tooLong) line.Write(buffer, start, i - start);
                    yield return (lineStart, tooLong || line.Length > maxBytes ? null : line.ToArray());
                    line.SetLength(0);
                    tooLong = false;
                    lineStart = offset + i + 1;
                    start = i + 1;
                }
                if (!tooLong) line.Write(buffer, start, n - start);
                if (line.Length > maxBytes) { tooLong = true; line.SetLength(0); }
                offset += n;
            }
            if (line.Length > 0 || tooLong) yield return (lineStart, tooLong ? null : line.ToArray()); // a last line without its newline
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>An entry line's path, size and modification time, or null when the line is not such an entry.</summary>
    public static (string Path, long Size, long ModifiedTicks)? Index(byte[] line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            string? path = null;
            long? size = null, ticks = null;
            var hasGps = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                if (!reader.Read()) return null;
                switch (name)
                {
                    case "path" when reader.TokenType == JsonTokenType.String: path = reader.GetString(); break;
                    case "size" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var s): size = s; break;
                    case "modified_ticks" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var t): ticks = t; break;
                    case "gps" when reader.TokenType == JsonTokenType.StartObject: hasGps = true; reader.Skip(); break;
                    default: reader.Skip(); break;
                }
            }
            return path is not null && size is { } sz && ticks is { } tk && hasGps ? (path, sz, tk) : null;
        }
        catch (JsonException) { return null; }
    }

    public static string? PathOf(byte[] line) => Index(line)?.Path;
}
