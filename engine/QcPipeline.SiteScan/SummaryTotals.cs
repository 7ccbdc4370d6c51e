using QcPipeline.SiteScan.Flight;

namespace QcPipeline.SiteScan;

/// <summary>
/// The statistics of summary.json, added up a folder at a time (a folder's, or the site's over all its folders):
/// counts, bounding box, spherical centroid, component-wise median, time span, altitude ranges, track length,
/// duplicates and photos far from the site. Only the median keeps a value per photo (two doubles).
/// </summary>
internal sealed class SummaryTotals(Func<long, GpsReading> row, bool qualifyNames, int expected = 0)
{
    private readonly Dictionary<string, int> _byStatus = Enum.GetValues<GpsStatus>().ToDictionary(s => s.Name(), _ => 0);
    private readonly List<double> _lats = new(expected), _lons = new(expected);
    private readonly List<DuplicateEntry> _duplicates = [];
    private readonly List<FarEntry> _far = [];
    private double _minLat = double.MaxValue, _minLon = double.MaxValue, _maxLat = double.MinValue, _maxLon = double.MinValue;
    private double _x, _y, _z, _track;
    private (double Min, double Max, double Sum, int N) _gps = (double.MaxValue, double.MinValue, 0, 0), _relative = (double.MaxValue, double.MinValue, 0, 0);
    private PhotoFacts? _first, _last;
    private int _images;

    public void Add(SiteFolder folder)
    {
        const double rad = Math.PI / 180;
        string Named(string file) => qualifyNames && folder.Name != "." ? $"{folder.Name}/{file}" : file;
        foreach (var f in folder.Photos)
        {
            _images++;
            _byStatus[f.Status.Name()]++;
            if (f.HasTime && (_first is null || f.Ticks < _first.Value.Ticks)) _first = f;
            if (f.HasTime && (_last is null || f.Ticks > _last.Value.Ticks)) _last = f;
            if ((f.Flags & PhotoFlags.Duplicate) != 0)
                _duplicates.Add(new DuplicateEntry(Named(f.Name), qualifyNames && !f.DuplicateOf!.Contains('/') ? Named(f.DuplicateOf) : f.DuplicateOf!));
            if ((f.Flags & PhotoFlags.FarFromSite) != 0)
                _far.Add(new FarEntry(Named(f.Name), Math.Round(f.DistanceFromMedianM, 1), Math.Round(folder.Flight.FarLimitM, 1)));
            if (!f.HasPosition) continue;
            _lats.Add(f.Lat);
            _lons.Add(f.Lon);
            (_minLat, _maxLat, _minLon, _maxLon) = (Math.Min(_minLat, f.Lat), Math.Max(_maxLat, f.Lat), Math.Min(_minLon, f.Lon), Math.Max(_maxLon, f.Lon));
            double la = f.Lat * rad, lo = f.Lon * rad;
            _x += Math.Cos(la) * Math.Cos(lo); _y += Math.Cos(la) * Math.Sin(lo); _z += Math.Sin(la);
            Extend(ref _gps, f.GpsAltitude);
            Extend(ref _relative, f.RelativeAltitude);
        }
        // The site's track is its flights' tracks added up: the gaps between flights were not flown with the camera on.
        _track += SiteSummary.TrackLength(folder.Photos, SiteSummary.FlightOrder(folder.Photos));
    }

    public GroupSummary Result()
    {
        const double rad = Math.PI / 180;
        var any = _lats.Count > 0;
        return new GroupSummary(_images, _byStatus,
            any ? new BoundingBox(_minLat, _minLon, _maxLat, _maxLon) : null,
            any ? new LatLon(Math.Atan2(_z, Math.Sqrt(_x * _x + _y * _y)) / rad, Math.Atan2(_y, _x) / rad) : null,
            any ? new LatLon(Plane.Median(_lats), Plane.Median(_lons)) : null,
            _first is null ? null : new TimeSpanInfo(row(_first.Value.Row).TakenAtText!, row(_last!.Value.Row).TakenAtText!, (_last.Value.Ticks - _first.Value.Ticks) / 1e7),
            RangeOf(_gps), RangeOf(_relative), Math.Round(_track, 2), _duplicates, _far);
    }

    private static void Extend(ref (double Min, double Max, double Sum, int N) r, double v)
    {
        if (double.IsNaN(v)) return;
        r = (Math.Min(r.Min, v), Math.Max(r.Max, v), r.Sum + v, r.N + 1);
    }

    private static Range? RangeOf((double Min, double Max, double Sum, int N) r) => r.N == 0 ? null : new Range(r.Min, r.Max, Math.Round(r.Sum / r.N, 3));
}
