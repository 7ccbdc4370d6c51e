using System.Text;
using QcPipeline.SiteScan.Flight;

namespace QcPipeline.SiteScan.Spill;

/// <summary>
/// Every photo's <see cref="PhotoFacts"/> (what the analysis reads of it), on disk while the run goes on: a
/// temporary file in the output folder, deleted when closed. A folder's facts are read back when it is analysed,
/// one folder at a time, so memory holds one folder's photos, not the site's.
/// </summary>
internal sealed class FactsStore : IDisposable
{
    private readonly FileStream _file;
    private readonly BinaryWriter _writer;
    private readonly BinaryReader _reader;
    private readonly Lock _lock = new();

    public FactsStore(string directory)
    {
        Directory.CreateDirectory(directory);
        _file = new FileStream(Path.Combine(directory, $".facts-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        _writer = new BinaryWriter(_file, Encoding.UTF8, leaveOpen: true);
        _reader = new BinaryReader(_file, Encoding.UTF8, leaveOpen: true);
    }

    /// <summary>Stores a photo's facts (the analysis's own fields are not stored); returns where they are.</summary>
    public long Add(in PhotoFacts f)
    {
        lock (_lock)
        {
            _file.Seek(0, SeekOrigin.End);
            var at = _file.Position;
            var w = _writer;
            w.Write(f.Name); w.Write(f.Row); w.Write((byte)f.Status); w.Write((byte)f.Issue);
            w.Write(f.Lat); w.Write(f.Lon); w.Write(f.Ticks);
            w.Write(f.GpsAltitude); w.Write(f.RelativeAltitude); w.Write(f.AbsoluteAltitude);
            w.Write(f.Pitch); w.Write(f.Yaw); w.Write(f.Speed); w.Write(f.Exposure);
            w.Write(f.GsdPerM); w.Write(f.FootShortPerM); w.Write(f.FootLongPerM);
            w.Write(f.Camera); w.Write(f.Rtk); w.Write(f.Hash);
            w.Flush();
            return at;
        }
    }

    public PhotoFacts Get(long at)
    {
        lock (_lock)
        {
            _file.Seek(at, SeekOrigin.Begin);
            var r = _reader;
            return new PhotoFacts
            {
                Name = r.ReadString(), Row = r.ReadInt64(), Status = (GpsStatus)r.ReadByte(), Issue = (PositionIssue)r.ReadByte(),
                Lat = r.ReadDouble(), Lon = r.ReadDouble(), Ticks = r.ReadInt64(),
                GpsAltitude = r.ReadDouble(), RelativeAltitude = r.ReadDouble(), AbsoluteAltitude = r.ReadDouble(),
                Pitch = r.ReadSingle(), Yaw = r.ReadSingle(), Speed = r.ReadSingle(), Exposure = r.ReadSingle(),
                GsdPerM = r.ReadSingle(), FootShortPerM = r.ReadSingle(), FootLongPerM = r.ReadSingle(),
                Camera = r.ReadInt16(), Rtk = r.ReadInt16(), Hash = r.ReadUInt64(),
                GroundSpeed = float.NaN, BlurPx = float.NaN, AltitudeResidualM = float.NaN, AltitudeLimitM = float.NaN, DistanceFromMedianM = float.NaN,
            };
        }
    }

    public void Dispose()
    {
        _writer.Dispose();
        _reader.Dispose();
        _file.Dispose();
    }
}
