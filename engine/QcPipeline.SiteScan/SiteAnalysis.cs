using System.Runtime.InteropServices;
using QcPipeline.SiteScan.Flight;
using QcPipeline.SiteScan.Output;

namespace QcPipeline.SiteScan;

/// <summary>One folder of a site: its photos' facts (sorted by file name once analysed) and its flight QC.</summary>
public sealed class SiteFolder(string name)
{
    public string Name { get; } = name;
    public List<PhotoFacts> Photos { get; } = [];
    public FolderFlight Flight { get; internal set; } = null!;
}

/// <summary>
/// A site scan's analysis, fed one photo at a time: each reading goes to the <see cref="RowStore"/> on disk, and
/// only its <see cref="PhotoFacts"/> stay in memory, per folder. <see cref="Finish"/> then runs flight QC: the
/// duplicates across the site, every folder's checks and flight, and the site's verdict.
/// </summary>
public sealed class SiteAnalysis(string workDirectory) : IDisposable
{
    private readonly Dictionary<string, SiteFolder> _byName = new(StringComparer.Ordinal);

    public RowStore Rows { get; } = new(workDirectory);
    public CameraTable Cameras { get; } = new();

    /// <summary>The folders, in ordinal order of their names, after <see cref="Finish"/>.</summary>
    public IReadOnlyList<SiteFolder> Folders { get; private set; } = [];
    public FolderVerdict SiteVerdict { get; private set; } = new(Verdicts.Ok, []);
    public int Count { get; private set; }

    public void Add(string folder, string file, GpsReading reading)
    {
        if (!_byName.TryGetValue(folder, out var f)) _byName[folder] = f = new SiteFolder(folder);
        var camera = Cameras.Id(reading.Make, reading.Model);
        if (reading.GimbalPitchDeg is not null) Cameras.SawGimbal(camera);
        f.Photos.Add(PhotoFacts.From(file, Rows.Add(reading), reading, camera));
        Count++;
    }

    public void Finish(GpsAggregateOptions options)
    {
        Folders = _byName.Values.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        Duplicates.Mark(Folders.Select(f => f.Photos).ToList(), Folders.Select(f => f.Name).ToList());
        foreach (var folder in Folders)
        {
            folder.Flight = FolderAnalysis.Run(folder.Photos, Cameras, options);
            CollectionsMarshal.AsSpan(folder.Photos).Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        }
        SiteVerdict = Verdicts.Site(Folders.Select(f => (f.Name, f.Flight.Verdict)).ToList());
    }

    public void Dispose() => Rows.Dispose();
}
