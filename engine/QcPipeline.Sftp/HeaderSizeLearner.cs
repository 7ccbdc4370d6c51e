using System.Collections.Concurrent;

namespace QcPipeline.Sftp;

/// <summary>
/// Learns how many bytes to ask for in a header's first read, so that one request brings all a reader needs:
/// photos of one camera have about the same size and the same header length (a DJI thermal frame: ~25 KB of
/// EXIF + XMP in a 1.4 MB file; a 5 MB RGB photo: a few KB). Files are grouped by size class (a power of two);
/// a class asks for the most any of its recent files needed, plus a margin. Unknown classes start at the default.
/// </summary>
public sealed class HeaderSizeLearner(int initial, int max)
{
    private const int Remembered = 16, Granule = 1024;
    private readonly ConcurrentDictionary<int, Recent> _classes = new();

    private sealed class Recent
    {
        private readonly long[] _extents = new long[Remembered];
        private int _count;

        public void Add(long extent) { lock (this) _extents[_count++ % Remembered] = extent; }

        public long Largest { get { lock (this) return _count == 0 ? 0 : _extents.Take(Math.Min(_count, Remembered)).Max(); } }
    }

    private static int ClassOf(long size) => size <= 1 ? 0 : 64 - (int)long.LeadingZeroCount(size - 1);

    /// <summary>Bytes to ask for first for a file of <paramref name="size"/> bytes.</summary>
    public int FirstRead(long size)
    {
        if (!_classes.TryGetValue(ClassOf(size), out var recent) || recent.Largest == 0) return (int)Math.Min(initial, Math.Max(size, 1));
        var largest = recent.Largest;
        var wanted = largest + Math.Max(Granule, largest / 16); // headers of one camera differ by a thumbnail's size
        return (int)Math.Clamp((wanted + Granule - 1) / Granule * Granule, Granule, max);
    }

    /// <summary>Notes how far into a file of <paramref name="size"/> bytes its reader needed bytes.</summary>
    public void Learn(long size, long extent) => _classes.GetOrAdd(ClassOf(size), _ => new Recent()).Add(extent);
}
