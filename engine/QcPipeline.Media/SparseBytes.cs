namespace QcPipeline.Media;

/// <summary>The pieces of a file read so far, by offset. Pieces that overlap or touch are joined as they arrive, so a
/// run of reads is one piece and every look-up finds its piece by binary search: walking a header of thousands of
/// tiny segments stays linear, not quadratic, in their number.</summary>
public sealed class SparseBytes
{
    // Disjoint, non-touching pieces, by start.
    private readonly SortedList<long, byte[]> _pieces = [];

    /// <summary>Records <paramref name="data"/> read at <paramref name="offset"/>; where it overlaps bytes read before, those are kept.</summary>
    public void Add(long offset, byte[] data)
    {
        if (data.Length == 0) return;
        long start = offset, end = offset + data.Length;
        // The pieces this one overlaps or touches: from the one holding (or ending at) its start, to the last one starting by its end.
        var first = IndexAtOrBefore(offset);
        if (first < 0 || _pieces.Keys[first] + _pieces.Values[first].Length < offset) first++;
        var last = first - 1;
        while (last + 1 < _pieces.Count && _pieces.Keys[last + 1] <= end) last++;
        if (last < first) { _pieces[offset] = data; return; }
        start = Math.Min(start, _pieces.Keys[first]);
        end = Math.Max(end, _pieces.Keys[last] + _pieces.Values[last].Length);
        var joined = new byte[end - start];
        data.CopyTo(joined, offset - start);
        for (var i = first; i <= last; i++) _pieces.Values[i].CopyTo(joined, _pieces.Keys[i] - start); // what was read first stays
        for (var i = last; i >= first; i--) _pieces.RemoveAt(i);
        _pieces[start] = joined;
    }

    /// <summary>Where the furthest piece read ends (0 when nothing is read).</summary>
    public long End => _pieces.Count == 0 ? 0 : _pieces.Keys[^1] + _pieces.Values[^1].Length;

    /// <summary>Bytes read in all.</summary>
    public long Total => _pieces.Values.Sum(p => (long)p.Length);

    /// <summary>Where the bytes read without a gap from <paramref name="offset"/> end (offset itself if it is not read).</summary>
    public long CoveredEnd(long offset)
    {
        var i = IndexAtOrBefore(offset);
        return i < 0 ? offset : Math.Max(offset, _pieces.Keys[i] + _pieces.Values[i].Length);
    }

    /// <summary>Whether every byte of [offset, offset+count) has been read.</summary>
    public bool Covers(long offset, int count) => count <= 0 || CoveredEnd(offset) >= offset + count;

    /// <summary>The bytes at [offset, offset+count), if they were all read.</summary>
    public bool TryGet(long offset, int count, out byte[] bytes)
    {
        bytes = [];
        if (count <= 0) return count == 0;
        if (!Covers(offset, count)) return false;
        var i = IndexAtOrBefore(offset);
        bytes = _pieces.Values[i].AsSpan((int)(offset - _pieces.Keys[i]), count).ToArray();
        return true;
    }

    // The last piece starting at or before offset, or -1.
    private int IndexAtOrBefore(long offset)
    {
        var keys = _pieces.Keys;
        int lo = 0, hi = keys.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            if (keys[mid] <= offset) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }
}
