using System.Collections.Concurrent;
using QcPipeline.Vision;

namespace QcPipeline.Inspection;

/// <summary>Golden images of a run, each decoded once on first use and shared by every image and ROI
/// (disposed with the run's services). A golden that cannot be read is remembered as its error.</summary>
internal sealed class GoldenImages : IDisposable
{
    private readonly ConcurrentDictionary<(string Path, ImageReadMode Mode), Lazy<(Image? Image, string? Error)>> _cache = new();

    public (Image? Image, string? Error) Get(string path, ImageReadMode mode) =>
        _cache.GetOrAdd((path, mode), key => new Lazy<(Image?, string?)>(() => Read(key.Path, key.Mode))).Value;

    private static (Image?, string?) Read(string path, ImageReadMode mode)
    {
        if (!File.Exists(path)) return (null, $"golden image {path} does not exist");
        try { return (Image.Load(path, mode), null); }
        catch (VisionException e) { return (null, "golden image: " + e.Message); }
    }

    public void Dispose()
    {
        foreach (var entry in _cache.Values)
            if (entry.IsValueCreated) entry.Value.Image?.Dispose();
        _cache.Clear();
    }
}
