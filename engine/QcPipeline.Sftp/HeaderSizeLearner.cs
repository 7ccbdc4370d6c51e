using System.Collections.Concurrent;
using QcPipeline.Media;
using Range = QcPipeline.Media.JpegMetadataExtent.Range;

namespace QcPipeline.Sftp;

/// <summary>
/// Learns which byte ranges to ask for in a header's first round of reads, so that one round trip brings all a
/// reader needs: photos of one camera have about the same size and header layout (a DJI thermal frame: 1.2 KB of
/// Exif tags at the start, its 15 KB thumbnail, then 8 KB of XMP, in a 1.4 MB file). Files are grouped by size
/// class (a power of two); a class asks for the union of the ranges its recent files used, each widened by a
/// margin (headers of one camera differ by a thumbnail's length), and ranges closer than a few KB are joined.
/// Unknown classes start with the first <c>initial</c> bytes.
/// </summary>
public sealed class HeaderSizeLearner(int initial, int max)
{
    private const int Remembered = 16, Granule = 1024, JoinGap = 4 * Granule;
    private readonly ConcurrentDictionary<int, Recent> _classes = new();

    private sealed class Recent
    {
        private readonly IReadOnlyList<Range>[] _files = new IReadOnlyList<Range>[Remembered];
        private int _count;

        public void Add(IReadOnlyList<Range> used) { lock (this) _files[_count++ % Remembered] = used; }

        public List<Range> All() { lock (this) return [.. _files.Take(Math.Min(_count, Remembered)).SelectMany(f => f)]; }
    }

    private static int ClassOf(long size) => size <= 1 ? 0 : 64 - (int)long.LeadingZeroCount(size - 1);

    /// <summary>The ranges to ask for at once for a file of <paramref name="size"/> bytes; the first starts at 0.</summary>
    public IReadOnlyList<Range> FirstReads(long size)
    {
        var fallback = new[] { new Range(0, (int)Math.Min(initial, Math.Max(size, 1))) };
        if (!_classes.TryGetValue(ClassOf(size), out var recent)) return fallback;
        var used = recent.All();
        if (used.Count == 0) return fallback;
        var joined = new List<(long From, long To)>();
        foreach (var r in used.Select(r => (From: Math.Max(0, r.Offset - Margin(r)), To: r.Offset + r.Length + Margin(r))).OrderBy(r => r.From))
        {
            if (joined.Count > 0 && r.From <= joined[^1].To + JoinGap) joined[^1] = (joined[^1].From, Math.Max(joined[^1].To, r.To));
            else joined.Add(r);
        }
        if (joined[0].From > 0) joined[0] = (0, joined[0].To); // the walk starts at the file's start
        var reads = new List<Range>();
        long total = 0;
        foreach (var (from, to) in joined)
        {
            var end = Math.Min(Math.Min(to, size), from + (max - total));
            if (end <= from) break;
            var rounded = Math.Min((end + Granule - 1) / Granule * Granule, Math.Max(size, 1));
            reads.Add(new Range(from, (int)(rounded - from)));
            total += rounded - from;
        }
        return reads;
    }

    // Headers of one camera differ by a thumbnail's length: some KB either side.
    private static int Margin(Range r) => Math.Max(Granule, r.Length / 16);

    /// <summary>Notes the ranges a file of <paramref name="size"/> bytes needed.</summary>
    public void Learn(long size, IReadOnlyList<Range> used) => _classes.GetOrAdd(ClassOf(size), _ => new Recent()).Add(used);
}
