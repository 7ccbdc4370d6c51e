using System.Runtime.InteropServices;
using QcPipeline.SiteScan.Flight;
using QcPipeline.SiteScan.Spill;

namespace QcPipeline.SiteScan;

/// <summary>One folder of a site: where its photos' facts are, and, while it is analysed, the facts (sorted by file
/// name) and its flight QC.</summary>
public sealed class SiteFolder(string name, int number)
{
    /// <summary>The folder's path, as the items name it.</summary>
    public string Name { get; } = name;
    /// <summary>Its number, in the order folders were first seen.</summary>
    public int Number { get; } = number;
    internal List<long> Facts { get; } = [];
    /// <summary>Photos recorded in it.</summary>
    public int Count => Facts.Count;
    /// <summary>Its photos' facts, sorted by file name, while it is analysed.</summary>
    public List<PhotoFacts> Photos { get; internal set; } = [];
    /// <summary>Its flight QC, once analysed.</summary>
    public FolderFlight Flight { get; internal set; } = null!;
}

/// <summary>
/// A site scan's analysis, fed one photo at a time: each reading goes to the <see cref="RowStore"/> and its
/// <see cref="PhotoFacts"/> to the <see cref="FactsStore"/>, both on disk; memory keeps eight bytes a photo (where
/// its facts are) and the site's cameras. <see cref="Analyse"/> then runs flight QC: the duplicates across the site,
/// then each folder in turn, read back, checked, handed to the writers and let go; last the site's verdict.
/// </summary>
public sealed class SiteAnalysis(string workDirectory) : IDisposable
{
    private readonly Dictionary<string, SiteFolder> _byName = new(StringComparer.Ordinal);
    private readonly List<SiteFolder> _numbered = [];
    private readonly FactsStore _facts = new(workDirectory);

    internal RowStore Rows { get; } = new(workDirectory);
    /// <summary>Where the row and facts stores keep their files.</summary>
    public string WorkDirectory { get; } = workDirectory;
    internal CameraTable Cameras { get; } = new();

    /// <summary>The folders in ordinal order of their names, with their photos, after <see cref="Finish"/>.</summary>
    public IReadOnlyList<SiteFolder> Folders { get; private set; } = [];
    /// <summary>The site's verdict, once analysed.</summary>
    public FolderVerdict SiteVerdict { get; private set; } = new(Verdicts.Ok, []);
    /// <summary>Photos added.</summary>
    public int Count { get; private set; }
    /// <summary>Folders seen.</summary>
    public int FolderCount => _byName.Count;

    /// <summary>Records one photo's reading under <paramref name="folder"/>.</summary>
    public void Add(string folder, string file, GpsReading reading)
    {
        if (!_byName.TryGetValue(folder, out var f))
        {
            _byName[folder] = f = new SiteFolder(folder, _numbered.Count);
            _numbered.Add(f);
        }
        var camera = Cameras.Id(reading.Make, reading.Model);
        if (reading.GimbalPitchDeg is not null) Cameras.SawGimbal(camera);
        f.Facts.Add(_facts.Add(PhotoFacts.From(file, Rows.Add(reading), reading, camera)));
        Count++;
    }

    /// <summary>
    /// Flight QC, one folder at a time in the order of their names: each comes with its photos (sorted by file name)
    /// and its flight; once the caller moves on, its photos are let go (unless <paramref name="keep"/>). The site's
    /// verdict is set when the last folder has been handed out.
    /// </summary>
    public IEnumerable<SiteFolder> Analyse(GpsAggregateOptions options, bool keep = false)
    {
        var names = _numbered.Select(f => f.Name).ToList();
        var copies = Duplicates.Find(All(), Count, names, at => _facts.Get(_numbered[at.Folder].Facts[at.Index]).Name);
        var verdicts = new List<(string, FolderVerdict)>();
        foreach (var folder in _numbered.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            var photos = new List<PhotoFacts>(folder.Facts.Count);
            for (var i = 0; i < folder.Facts.Count; i++)
            {
                var f = _facts.Get(folder.Facts[i]);
                if (copies.TryGetValue(new PhotoAt(folder.Number, i), out var of)) { f.Flags |= PhotoFlags.Duplicate; f.DuplicateOf = of; }
                photos.Add(f);
            }
            folder.Flight = FolderAnalysis.Run(photos, Cameras, options);
            CollectionsMarshal.AsSpan(photos).Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            folder.Photos = photos;
            verdicts.Add((folder.Name, folder.Flight.Verdict));
            yield return folder;
            if (!keep) folder.Photos = [];
        }
        SiteVerdict = Verdicts.Site(verdicts);
    }

    /// <summary>Analyses every folder and keeps them all in <see cref="Folders"/> (for a small site, or a test).</summary>
    public void Finish(GpsAggregateOptions options) => Folders = Analyse(options, keep: true).ToList();

    private IEnumerable<(PhotoAt, PhotoFacts)> All()
    {
        foreach (var folder in _numbered)
            for (var i = 0; i < folder.Facts.Count; i++)
            {
                var f = _facts.Get(folder.Facts[i]);
                if (f.Status != GpsStatus.Error) yield return (new PhotoAt(folder.Number, i), f);
            }
    }

    /// <summary>Closes the row and facts stores.</summary>
    public void Dispose()
    {
        Rows.Dispose();
        _facts.Dispose();
    }
}
