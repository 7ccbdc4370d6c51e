using System.Buffers.Binary;

namespace QcPipeline.Media;

/// <summary>
/// Where an APP1 Exif segment keeps its thumbnail (IFD1's JPEGInterchangeFormat offset and length), found by
/// reading the TIFF header and the IFD0/IFD1 entries only. Cameras put the thumbnail last in the segment: a DJI
/// thermal frame's Exif is 16.8 KB of which 15.6 KB is the thumbnail, so a reader of tags that leaves it out reads
/// ~1.2 KB. Anything malformed (offsets outside the segment, absurd counts) means "no thumbnail to leave out".
/// </summary>
internal static class ExifThumbnail
{
    private const int MinWorthSkipping = 1024, MaxEntries = 512;

    /// <summary>The thumbnail's place in the file, or null (none, or not sure). <paramref name="need"/> is set
    /// instead when a byte range not read yet must be read first.</summary>
    public static (long Start, int Length)? Find(SparseBytes read, long tiff, int tiffLength, List<JpegMetadataExtent.Range>? touched,
        out JpegMetadataExtent.Range? need)
    {
        need = null;
        JpegMetadataExtent.Range? missing = null;
        bool Get(long relative, int count, out byte[] bytes)
        {
            bytes = [];
            if (relative < 0 || count < 0 || relative + count > tiffLength) return false;
            if (!read.TryGet(tiff + relative, count, out bytes)) { missing = new(tiff + relative, count); return false; }
            touched?.Add(new(tiff + relative, count));
            return true;
        }
        if (!Get(0, 8, out var header)) { need = missing; return null; }
        var little = header[0] == 'I' && header[1] == 'I';
        if (!little && !(header[0] == 'M' && header[1] == 'M')) return null;
        uint U32(byte[] b, int at) => little ? BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));
        ushort U16(byte[] b, int at) => little ? BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at));

        long ifd0 = U32(header, 4);
        if (!Get(ifd0, 2, out var count0Bytes)) { need = missing; return null; }
        var count0 = U16(count0Bytes, 0);
        if (count0 > MaxEntries || !Get(ifd0 + 2 + 12L * count0, 4, out var next)) { need = missing; return null; }
        long ifd1 = U32(next, 0);
        if (ifd1 == 0 || !Get(ifd1, 2, out var count1Bytes)) { need = missing; return null; }
        var count1 = U16(count1Bytes, 0);
        if (count1 > MaxEntries || !Get(ifd1 + 2, 12 * count1, out var entries)) { need = missing; return null; }
        long offset = -1, length = -1;
        for (var i = 0; i < count1; i++)
        {
            var tag = U16(entries, 12 * i);
            var type = U16(entries, 12 * i + 2);
            var value = type == 3 ? U16(entries, 12 * i + 8) : type == 4 ? U32(entries, 12 * i + 8) : -1L;
            if (tag == 0x0201) offset = value;
            else if (tag == 0x0202) length = value;
        }
        // The thumbnail must lie inside the segment, after every structure read to find it.
        var structureEnd = Math.Max(ifd0 + 6 + 12L * count0, ifd1 + 2 + 12L * count1);
        if (offset < structureEnd || length < MinWorthSkipping || offset + length > tiffLength) return null;
        return (tiff + offset, (int)length);
    }
}
