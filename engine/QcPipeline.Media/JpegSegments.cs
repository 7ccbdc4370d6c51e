namespace QcPipeline.Media;

/// <summary>One marker segment of a JPEG held in memory.</summary>
public readonly ref struct JpegMarkerSegment
{
    internal JpegMarkerSegment(byte marker, int offset, int length, ReadOnlySpan<byte> payload)
    {
        Marker = marker;
        Offset = offset;
        Length = length;
        Payload = payload;
    }

    /// <summary>The byte after 0xFF (0xE1 for APP1).</summary>
    public byte Marker { get; }

    /// <summary>Where the segment's 0xFF is.</summary>
    public int Offset { get; }

    /// <summary>The length the segment declares: its payload and the two length bytes.</summary>
    public int Length { get; }

    /// <summary>The payload bytes present: cut short where the bytes end before the declared length.</summary>
    public ReadOnlySpan<byte> Payload { get; }
}

/// <summary>
/// Walks the marker segments of a JPEG held in memory, from after its SOI (not checked) up to its image data (SOS)
/// or EOI: fill bytes and markers without a length are stepped over. The walk ends, without a word, at bytes that are
/// not a marker, at a length shorter than its own two bytes, or where fewer than four bytes are left (a reader that
/// must say why checks the bytes first). Use with foreach.
/// </summary>
public ref struct JpegSegments
{
    private readonly ReadOnlySpan<byte> _jpeg;
    private int _next;
    private JpegMarkerSegment _current;

    private JpegSegments(ReadOnlySpan<byte> jpeg)
    {
        _jpeg = jpeg;
        _next = 2; // after SOI
    }

    /// <summary>The segments of <paramref name="jpeg"/> before its image data.</summary>
    public static JpegSegments Of(ReadOnlySpan<byte> jpeg) => new(jpeg);

    /// <summary>The walk itself (for foreach).</summary>
    public readonly JpegSegments GetEnumerator() => this;

    /// <summary>The segment the walk is at.</summary>
    public readonly JpegMarkerSegment Current => _current;

    /// <summary>Steps to the next segment; false at the image data, EOI, or where the walk cannot go on.</summary>
    public bool MoveNext()
    {
        var pos = _next;
        while (pos + 4 <= _jpeg.Length && _jpeg[pos] == 0xFF)
        {
            var marker = _jpeg[pos + 1];
            if (marker == 0xFF) { pos++; continue; } // fill byte
            if (marker is 0xD8 or >= 0xD0 and <= 0xD7 or 0x01) { pos += 2; continue; } // markers without a length
            if (marker is 0xDA or 0xD9) break; // image data, or the end
            var length = (_jpeg[pos + 2] << 8) | _jpeg[pos + 3];
            if (length < 2) break;
            _current = new JpegMarkerSegment(marker, pos, length, _jpeg.Slice(pos + 4, Math.Min(length - 2, _jpeg.Length - pos - 4)));
            _next = pos + 2 + length;
            return true;
        }
        _next = _jpeg.Length;
        return false;
    }
}
