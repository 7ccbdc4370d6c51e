using QcPipeline.SiteScan;
using QcPipeline.SiteScan.Flight;

namespace QcPipeline.Demo.Generation;

/// <summary>
/// Flight QC of planned photos without the engine: each photo's JPEG is built in memory and read back by
/// <see cref="GpsReader"/> from its bytes (the headers, as a fetch gets them), then the readings go through
/// <see cref="SiteAnalysis"/>. Readings are kept, so one set of photos can be analysed under many thresholds.
/// </summary>
public sealed class HeaderRun(IReadOnlyList<PlannedPhoto> photos)
{
    /// <summary>Each photo's reading, in the order given.</summary>
    public IReadOnlyList<(string Folder, string Name, GpsReading Reading)> Readings { get; } =
        photos.AsParallel().AsOrdered().Select(p => (p.Folder, p.Name, GpsReader.Read(p.Builder().Build()))).ToList();

    /// <summary>Flight QC of the readings under <paramref name="options"/>: each photo's flags, the gaps, and the analysis (its spill files in <paramref name="workDirectory"/>).</summary>
    public (List<FoundPhoto> Photos, List<FoundGap> Gaps, SiteAnalysis Site) Analyse(GpsAggregateOptions options, string workDirectory)
    {
        var site = new SiteAnalysis(workDirectory);
        foreach (var (folder, name, reading) in Readings) site.Add(folder, name, reading);
        site.Finish(options);
        var found = site.Folders.SelectMany(f => f.Photos.Select(p => new FoundPhoto(p.Name, PhotoFlagNames.Names(p.Flags).ToHashSet()))).ToList();
        var gaps = site.Folders.SelectMany(f => f.Flight.Gaps.Select(g => new FoundGap(g.After, g.Before))).ToList();
        return (found, gaps, site);
    }
}
