using System.Text;

namespace QcPipeline.SiteScan.Spill;

/// <summary>
/// Every photo's full reading, kept on disk while the run goes on (a temporary file in the output folder, deleted
/// when closed): the aggregate holds none in memory and reads each row back when it writes points.csv and
/// points.geojson. Binary, a value only where the reading has one (a bit per field says which); camera names
/// read back are shared, not copied per photo.
/// </summary>
internal sealed class RowStore : IDisposable
{
    private readonly FileStream _file;
    private readonly BinaryWriter _writer;
    private readonly BinaryReader _reader;
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public RowStore(string directory)
    {
        Directory.CreateDirectory(directory);
        _file = new FileStream(Path.Combine(directory, $".rows-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        _writer = new BinaryWriter(_file, Encoding.UTF8, leaveOpen: true);
        _reader = new BinaryReader(_file, Encoding.UTF8, leaveOpen: true);
    }

    // The optional numbers, in the order they are stored (Get builds the reading in the same order).
    private static readonly Func<GpsReading, double?>[] Numbers =
    [
        r => r.Latitude, r => r.Longitude, r => r.AltitudeM, r => r.RelativeAltitudeM, r => r.AbsoluteAltitudeM, r => r.ExposureTimeS,
        r => r.Iso, r => r.FocalLengthMm, r => r.FocalLength35mm, r => r.FocalPlanePxPerMm, r => r.GimbalPitchDeg, r => r.GimbalYawDeg,
        r => r.FlightYawDeg, r => r.FlightXSpeed, r => r.FlightYSpeed, r => r.FlightZSpeed, r => r.RtkStdLonM, r => r.RtkStdLatM,
        r => r.RtkStdHgtM, r => r.ImageWidth, r => r.ImageHeight, r => r.RtkFlag,
    ];

    private const int TakenBit = 22, OffsetBit = 23, HashBit = 24, ReasonBit = 25, MakeBit = 26, ModelBit = 27;

    /// <summary>Stores a reading; returns where it is.</summary>
    public long Add(GpsReading r)
    {
        var present = 0;
        for (var i = 0; i < Numbers.Length; i++) if (Numbers[i](r) is not null) present |= 1 << i;
        if (r.TakenAt is not null) present |= 1 << TakenBit;
        if (r.UtcOffset is not null) present |= 1 << OffsetBit;
        if (r.HeaderHash is not null) present |= 1 << HashBit;
        if (r.Reason is not null) present |= 1 << ReasonBit;
        if (r.Make is not null) present |= 1 << MakeBit;
        if (r.Model is not null) present |= 1 << ModelBit;
        lock (_lock)
        {
            _file.Seek(0, SeekOrigin.End);
            var at = _file.Position;
            var w = _writer;
            w.Write((byte)r.Status); w.Write((byte)r.PositionIssue); w.Write(present);
            foreach (var get in Numbers) if (get(r) is { } v) w.Write(v);
            if (r.TakenAt is { } t) w.Write(t.Ticks);
            if (r.UtcOffset is { } o) w.Write(o.Ticks);
            if (r.HeaderHash is { } h) w.Write(h);
            if (r.Reason is { } reason) w.Write(reason);
            if (r.Make is { } make) w.Write(make);
            if (r.Model is { } model) w.Write(model);
            w.Flush();
            return at;
        }
    }

    public GpsReading Get(long at)
    {
        lock (_lock)
        {
            _file.Seek(at, SeekOrigin.Begin);
            var rd = _reader;
            var (status, issue, present) = ((GpsStatus)rd.ReadByte(), (PositionIssue)rd.ReadByte(), rd.ReadInt32());
            var v = new double?[Numbers.Length];
            for (var i = 0; i < v.Length; i++) if ((present & (1 << i)) != 0) v[i] = rd.ReadDouble();
            bool Has(int bit) => (present & (1 << bit)) != 0;
            return new GpsReading
            {
                Status = status, PositionIssue = issue,
                Latitude = v[0], Longitude = v[1], AltitudeM = v[2], RelativeAltitudeM = v[3], AbsoluteAltitudeM = v[4], ExposureTimeS = v[5],
                Iso = v[6], FocalLengthMm = v[7], FocalLength35mm = v[8], FocalPlanePxPerMm = v[9], GimbalPitchDeg = v[10], GimbalYawDeg = v[11],
                FlightYawDeg = v[12], FlightXSpeed = v[13], FlightYSpeed = v[14], FlightZSpeed = v[15], RtkStdLonM = v[16], RtkStdLatM = v[17],
                RtkStdHgtM = v[18], ImageWidth = (int?)v[19], ImageHeight = (int?)v[20], RtkFlag = (int?)v[21],
                TakenAt = Has(TakenBit) ? new DateTime(rd.ReadInt64(), DateTimeKind.Unspecified) : null,
                UtcOffset = Has(OffsetBit) ? new TimeSpan(rd.ReadInt64()) : null,
                HeaderHash = Has(HashBit) ? rd.ReadUInt64() : null,
                Reason = Has(ReasonBit) ? rd.ReadString() : null,
                Make = Has(MakeBit) ? Shared(rd.ReadString()) : null,
                Model = Has(ModelBit) ? Shared(rd.ReadString()) : null,
            };
        }
    }

    // Camera names repeat on every photo: one string each (a hostile site of many names still grows only this).
    private string Shared(string s)
    {
        if (_names.TryGetValue(s, out var known)) return known;
        if (_names.Count < 10_000) _names[s] = s;
        return s;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _reader.Dispose();
        _file.Dispose();
    }
}
