using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QcPipeline.SiteScan.Output;

/// <summary>
/// Every photo's full reading, kept on disk while the run goes on (a temporary file in the output folder, deleted
/// when closed): the aggregate holds only <see cref="Flight.PhotoFacts"/> in memory and reads each row back once,
/// when it writes points.csv and points.geojson.
/// </summary>
public sealed class RowStore : IDisposable
{
    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly FileStream _file;
    private readonly Lock _lock = new();

    public RowStore(string directory)
    {
        Directory.CreateDirectory(directory);
        _file = new FileStream(Path.Combine(directory, $".rows-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
    }

    /// <summary>Stores a reading; returns where it is.</summary>
    public long Add(GpsReading reading)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(reading, Json);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        lock (_lock)
        {
            _file.Seek(0, SeekOrigin.End);
            var at = _file.Position;
            _file.Write(length);
            _file.Write(bytes);
            return at;
        }
    }

    public GpsReading Get(long at)
    {
        lock (_lock)
        {
            _file.Flush();
            Span<byte> length = stackalloc byte[4];
            RandomAccess.Read(_file.SafeFileHandle, length, at);
            var bytes = new byte[BinaryPrimitives.ReadInt32LittleEndian(length)];
            RandomAccess.Read(_file.SafeFileHandle, bytes, at + 4);
            return JsonSerializer.Deserialize<GpsReading>(bytes, Json)!;
        }
    }

    public void Dispose() => _file.Dispose();
}
