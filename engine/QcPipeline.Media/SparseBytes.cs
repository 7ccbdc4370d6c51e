namespace QcPipeline.Media;

/// <summary>The pieces of a file read so far, by offset; a range can be taken from several adjacent pieces.</summary>
public sealed class SparseBytes
{
    private readonly SortedList<long, byte[]> _pieces = [];

    public void Add(long offset, byte[] data)
    {
        if (data.Length == 0) return;
        if (_pieces.TryGetValue(offset, out var existing) && existing.Length >= data.Length) return;
        _pieces[offset] = data;
    }

    /// <summary>Bytes read in all (pieces may overlap).</summary>
    public long Total => _pieces.Values.Sum(p => (long)p.Length);

    /// <summary>Where the bytes read without a gap from <paramref name="offset"/> end (offset itself if it is not read).</summary>
    public long CoveredEnd(long offset)
    {
        var end = offset;
        foreach (var (start, data) in _pieces)
        {
            if (start > end) break;
            end = Math.Max(end, start + data.Length);
        }
        return end;
    }

    public bool Covers(long offset, int count) => CoveredEnd(offset) >= offset + count;

    /// <summary>The bytes at [offset, offset+count), if they were all read.</summary>
    public bool TryGet(long offset, int count, out byte[] bytes)
    {
        bytes = [];
        if (!Covers(offset, count)) return false;
        bytes = new byte[count];
        foreach (var (start, data) in _pieces)
        {
            var from = Math.Max(start, offset);
            var to = Math.Min(start + data.Length, offset + count);
            if (to > from) data.AsSpan((int)(from - start), (int)(to - from)).CopyTo(bytes.AsSpan((int)(from - offset)));
        }
        return true;
    }
}
